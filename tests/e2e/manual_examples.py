"""The PeFAC manual's request and response examples (sections 4.3-4.13, Anexo I), transcribed as data.

Requests keep the manual's shape and spelling; the ids and tuples are placeholders ({id}, {nif} ...)
that the test fills with invoices it registered first. The manual omits the namespace declarations
(xmlns:S, xmlns:ns2, xmlns:ns3, and xmlns:xop on its second xop:Include): `with_namespaces` adds
them back on the Envelope. Responses are the manual's, values included; only their element
names, order and nesting are compared.
"""
from __future__ import annotations

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://v2.ws.efactura.ceh.gobiernodecanarias.org/"
XOP = "http://www.w3.org/2004/08/xop/include"
_DECLARATIONS = f'xmlns:S="{SOAP_ENV}" xmlns:ns2="{TNS}" xmlns:ns3="{TNS}" xmlns:xop="{XOP}"'


def with_namespaces(example: str) -> bytes:
    """The example with the namespace declarations the manual leaves out, declared on the Envelope."""
    head, _, rest = example.partition("<S:Envelope")
    assert not head.strip() and rest.lstrip(" ").startswith(">"), example[:40]
    return f"<S:Envelope {_DECLARATIONS}{rest.lstrip(' ')}".encode()


# The manual's <return> of enviarFactura, consultarFactura and consultarFacturaPorValores (4.3.2, 4.4.2, 4.5.2).
_FACTURA = """<return>
<id>2527</id>
<numero>3</numero>
<nifProveedor>12345678X</nifProveedor>
<nifCliente>Q8550003A</nifCliente>
<fechaFactura>2014-06-18T00:00:00+01:00</fechaFactura>
<fechaFirma>2014-06-18T14:50:34+01:00</fechaFirma>
<moneda>EUR</moneda>
<total>1575</total>
<liquido>1653.75</liquido>
<versionFacturaE>3.2</versionFacturaE>
<comprobanteRegistro>
<xop:Include href="cid:identificador-mime"/>
</comprobanteRegistro>
<fechaRegistro>2014-07-23T14:11:28+01:00</fechaRegistro>
<estadoFactura>REGISTRADA</estadoFactura>
<oficinaContable>E03078004</oficinaContable>
<organoGestor>E03131204</organoGestor>
<unidadTramitadora>E03131204</unidadTramitadora>
<observacionesEstado>Observaciones de la presentación</observacionesEstado>
</return>"""

# The manual's <return> of anularFactura and anularFacturaPorValores (4.10.2, 4.11.2).
_ANULADA = """<return>
<id>2527</id>
<numero>3</numero>
<nifProveedor>12345678X</nifProveedor>
<nifCliente>Q8550003A</nifCliente>
<fechaFactura>2014-06-18T00:00:00+01:00</fechaFactura>
<fechaFirma>2014-06-18T14:50:34+01:00</fechaFirma>
<moneda>EUR</moneda>
<total>1575</total>
<liquido>1653.75</liquido>
<versionFacturaE>3.2</versionFacturaE>
<comprobanteRegistro>
<xop:Include href="cid:identificador-mime"/>
</comprobanteRegistro>
<fechaRegistro>2014-07-23T14:11:28+01:00</fechaRegistro>
<estadoFactura>ANULADA</estadoFactura>
<observacionesAnulacion>
Error en el centro gestor </observacionesAnulacion>
<fechaAnulacion>2014-07-23T14:11:28+01:00</fechaAnulacion>
<oficinaContable>E03078004</oficinaContable>
<organoGestor>E03131204</organoGestor>
<unidadTramitadora>E03131204</unidadTramitadora>
</return>"""


def _response(operation: str, inner: str) -> str:
    return f"<S:Envelope><S:Body><ns2:{operation}Response>{inner}</ns2:{operation}Response></S:Body></S:Envelope>"


_ESTADO_MOTIVO = """<respuestaEstadoFactura>
<estadoFactura>REGISTRADA</estadoFactura>
</respuestaEstadoFactura>"""

REQUESTS = {
    "4.3": """<S:Envelope>
<S:Header/>
<S:Body>
<ns3:enviarFactura>
<facturae>
<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include"
href="cid:{facturae_cid}">
</xop:Include>
</facturae>
<anexos>
<nombre>DocumentoAnexo.pdf</nombre>
<contenido>
<xop:Include href="cid:{anexo_cid}">
</xop:Include>
</contenido>
</anexos>
</ns3:enviarFactura>
</S:Body>
</S:Envelope>""",
    "4.4": """<S:Envelope >
<S:Body>
<ns3:consultarFactura>
<idFactura>{id}</idFactura>
</ns3:consultarFactura>
</S:Body>
</S:Envelope>""",
    "4.5": """<S:Envelope>
<S:Body>
<ns3:consultarFacturaPorValores>
<nifcifProveedor>{nif}</nifcifProveedor>
<ejercicio>{ejercicio_dash}</ejercicio>
<numeroFactura>{numero}</numeroFactura>
</ns3:consultarFacturaPorValores>
</S:Body>
</S:Envelope>""",
    "4.6": """<S:Envelope>
<S:Header/>
<S:Body>
<ns2:consultarEstadoMotivoFactura>
<idFactura>{id}</idFactura>
</ns2:consultarEstadoMotivoFactura>
</S:Body>
</S:Envelope>""",
    "4.7": """<S:Envelope>
<S:Header/>
<S:Body>
<ns2:consultarEstadoMotivoFacturaPorValores>
<nifcifProveedor>{nif}</nifcifProveedor>
<ejercicio>{ejercicio_slash}</ejercicio>
<numeroFactura>{numero}</numeroFactura>
</ns2:consultarEstadoMotivoFacturaPorValores>
</S:Body>
</S:Envelope>""",
    "4.8": """<S:Envelope>
<S:Body>
<ns2:consultarGrupoEstadosFactura>
<facturaId>{id_605}</facturaId>
<facturaId>{id_42}</facturaId>
<facturaId>{id_888}</facturaId>
<facturaId>{id_444}</facturaId>
</ns2:consultarGrupoEstadosFactura>
</S:Body>
</S:Envelope>""",
    "4.9": """<S:Envelope>
<S:Header/>
<S:Body>
<ns2:consultarGrupoEstadoFacturasPorValores>
<facturaTupla>
<nifcifProveedor>{nif_1}</nifcifProveedor>
<ejercicio>{ejercicio_1}</ejercicio>
<serie>{serie_1}</serie>
<numeroFactura>{numero_1}</numeroFactura>
</facturaTupla>
<facturaTupla>
<nifcifProveedor>{nif_2}</nifcifProveedor>
<ejercicio>{ejercicio_2}</ejercicio>
<serie>{serie_2}</serie>
<numeroFactura>{numero_2}</numeroFactura>
</facturaTupla>
<facturaTupla>
<nifcifProveedor>{nif_3}</nifcifProveedor>
<ejercicio>{ejercicio_3}</ejercicio>
<serie>{serie_3}</serie>
<numeroFactura>{numero_3}</numeroFactura>
</facturaTupla>
</ns2:consultarGrupoEstadoFacturasPorValores>
</S:Body>
</S:Envelope>""",
    "4.10": """<S:Envelope>
<S:Body>
<ns3:anularFactura>
<idFactura>{id}</idFactura>
<motivoAnulacion>Error en el centro gestor</motivoAnulacion>
</ns3:anularFactura>
</S:Body>
</S:Envelope>""",
    "4.11": """<S:Envelope >
<S:Body>
<ns3:anularFacturaPorValores>
<nifcifProveedor>{nif}</nifcifProveedor>
<ejercicio>{ejercicio_slash}</ejercicio>
<numeroFactura>{numero}</numeroFactura>
<motivoAnulacion>Error en el centro gestor</motivoAnulacion>
</ns3:anularFacturaPorValores>
</S:Body>
</S:Envelope>""",
    "4.12": """<S:Envelope>
<S:Body>
<ns3:consultarEstadoFactura >
<idFactura>{id}</idFactura>
</ns3:consultarEstadoFactura>
</S:Body>
</S:Envelope>""",
    "4.13": """<S:Envelope>
<S:Body>
<ns3:consultarEstadoFacturaPorValores>
<nifcifProveedor>{nif}</nifcifProveedor>
<ejercicio>{ejercicio_slash}</ejercicio>
<serie>{serie}</serie>
<numeroFactura>{numero}</numeroFactura>
</ns3:consultarEstadoFacturaPorValores>
</S:Body>
</S:Envelope>""",
}

RESPONSES = {
    "4.3": _response("enviarFactura", _FACTURA),
    "4.4": _response("consultarFactura", _FACTURA),
    "4.5": _response("consultarFacturaPorValores", _FACTURA),
    # 4.6.2 shows no XML; the reference XSD gives the operation the 4.7.2 shape (respuestaEstadoFactura).
    "4.6": _response("consultarEstadoMotivoFactura", _ESTADO_MOTIVO),
    "4.7": _response("consultarEstadoMotivoFacturaPorValores", _ESTADO_MOTIVO),
    "4.8": _response("consultarGrupoEstadosFactura", """
<resultadoEstadosFacturas>
<id>605</id>
<respuestaEstadoFactura>
<estadoFactura>REGISTRADA_RCF</estadoFactura>
<observaciones>Factura registrada</observaciones>
</respuestaEstadoFactura>
</resultadoEstadosFacturas>
<resultadoEstadosFacturas>
<id>42</id>
<respuestaEstadoFactura>
<estadoFactura>RECHAZADA</estadoFactura>
<observaciones>Prueba de modificación del motivo</observaciones>
</respuestaEstadoFactura>
</resultadoEstadosFacturas>
<resultadoEstadosFacturas>
<id>888</id>
</resultadoEstadosFacturas>
<resultadoEstadosFacturas>
<id>444</id>
<error>credenciales.error.facturainvalida</error>
</resultadoEstadosFacturas>"""),
    "4.9": _response("consultarGrupoEstadoFacturasPorValores", """
<resultadoEstadosFacturas>
<facturaTupla>
<nifcifProveedor>00278402X</nifcifProveedor>
<ejercicio>2015/06/29</ejercicio>
<serie>MAC-</serie>
<numeroFactura>1</numeroFactura>
</facturaTupla>
<respuestaEstadoFactura>
<estadoFactura>REGISTRADA_RCF</estadoFactura>
<observaciones>Factura registrada</observaciones>
</respuestaEstadoFactura>
</resultadoEstadosFacturas>
<resultadoEstadosFacturas>
<facturaTupla>
<nifcifProveedor>00279292A</nifcifProveedor>
<ejercicio>2014/10/06</ejercicio>
<serie>CEHS-</serie>
<numeroFactura>10</numeroFactura>
</facturaTupla>
<respuestaEstadoFactura>
<estadoFactura>RECHAZADA</estadoFactura>
<observaciones>Prueba de modificación del motivo</observaciones>
</respuestaEstadoFactura>
</resultadoEstadosFacturas>
<resultadoEstadosFacturas>
<facturaTupla>
<nifcifProveedor>00278402X</nifcifProveedor>
<ejercicio>2014/05/21</ejercicio>
<serie>Emit-</serie>
<numeroFactura>3</numeroFactura>
</facturaTupla>
<error>credenciales.error.facturainvalida</error>
</resultadoEstadosFacturas>"""),
    "4.10": _response("anularFactura", _ANULADA),
    "4.11": _response("anularFacturaPorValores", _ANULADA),
    "4.12": _response("consultarEstadoFactura", "<return>ANULADA</return>"),
    "4.13": _response("consultarEstadoFacturaPorValores", "<return>PAGADA</return>"),
}

# Anexo I: the fault returned when anularFactura cannot cancel.
FAULT = """<S:Envelope>
<S:Body>
<S:Fault>
<faultcode>S:Server</faultcode>
<faultstring>
org.gobiernodecanarias.ceh.efactura.ws.ServicioError </faultstring>
<detail>
<ns2:ServicioError>
<mensajesError>
anulacion.error.estadoIncorrecto </mensajesError>
</ns2:ServicioError>
</detail>
</S:Fault>
</S:Body>
</S:Envelope>"""

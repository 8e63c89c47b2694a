"""zeep clients, from the reference WSDL and from our ?wsdl, calling every operation (MTOM on and off)."""
from __future__ import annotations

import pytest
import zeep

from ventanilla.api.v1 import invoice_pb2 as ipb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.soap import mtom

from .fakes import PATH, PDF, TNS, FakeBackends, edge
from .reference import reference
from .zeep_support import WsgiTransport

BINDING = f"{{{TNS}}}FacturaServicePortBinding"
FACTURAE, ANEXO = b"<?xml version='1.0'?>\r\n<Facturae/>\r\n", b"\r\n%PDF-1.4 anexo\r\n"


def service(source: str, backends: FakeBackends, mtom_requests: bool):
    transport = WsgiTransport(edge(backends), mtom=mtom_requests)
    if source == "reference":
        client = zeep.Client(str(reference("FacturaService.wsdl")), transport=transport)
        return client.create_service(BINDING, f"http://localhost{PATH}"), transport
    return zeep.Client(f"http://localhost{PATH}?wsdl", transport=transport).service, transport


@pytest.fixture(params=[("reference", False), ("reference", True), ("ours", False), ("ours", True)],
                ids=["reference-plain", "reference-mtom", "ours-plain", "ours-mtom"])
def client(request):
    backends = FakeBackends({"GetStates": lambda r: pb.StatesAnswer(items=[
        pb.StateItem(error=pb.CatalogueError(key="credenciales.error.facturainvalida")) if i == 444
        else pb.StateItem(state=ipb.REGISTRADA_RCF, remarks="Factura registrada") for i in r.ids])})
    source, mtom_requests = request.param
    svc, transport = service(source, backends, mtom_requests)
    return svc, transport, backends, source, mtom_requests


def test_enviar_factura(client):
    svc, transport, backends, _, mtom_requests = client
    result = svc.enviarFactura(facturae=FACTURAE, anexos=[{"nombre": "anexo.pdf", "contenido": ANEXO}])
    request = backends.calls[-1][2]
    assert (request.facturae, request.attachments[0].name, request.attachments[0].content) == (FACTURAE, "anexo.pdf", ANEXO)
    assert result.id == 2527 and result.estadoFactura == "ANULADA"
    # zeep strips trailing CR/LF from MTOM attachments (zeep #1249, #1481); inline base64 is exact.
    assert result.comprobanteRegistro == (PDF.rstrip(b"\r\n") if mtom_requests else PDF)
    assert mtom.is_mtom(transport.replies[-1].headers["Content-Type"]) is mtom_requests


def test_consultas_and_anulaciones(client):
    svc, _, _, source, _ = client
    ejercicio = 2014 if source == "reference" else "2014/06/18"
    tupla = {"nifcifProveedor": "12345678X", "ejercicio": ejercicio, "serie": "A-", "numeroFactura": "3"}
    assert svc.version() == "2.0"
    assert svc.consultarFactura(idFactura=2527).nifProveedor == "12345678X"
    assert svc.consultarFacturaPorValores(**tupla).fechaFactura.isoformat() == "2014-06-18T00:00:00+00:00"
    assert svc.consultarEstadoMotivoFactura(idFactura=1).estadoFactura == "REGISTRADA_RCF"
    assert svc.consultarEstadoMotivoFacturaPorValores(**tupla).observaciones == "ok"
    items = svc.consultarGrupoEstadosFactura(facturaId=[605, 444])
    assert [(i.id, i.error) for i in items] == [(605, []), (444, ["credenciales.error.facturainvalida"])]
    assert items[0].respuestaEstadoFactura.estadoFactura == "REGISTRADA_RCF"
    (item,) = svc.consultarGrupoEstadoFacturasPorValores(facturaTupla=[tupla])
    assert item.facturaTupla.numeroFactura == "3" and item.respuestaEstadoFactura.estadoFactura == "REGISTRADA"
    assert svc.anularFactura(idFactura=2527, motivoAnulacion="Error").observacionesAnulacion
    assert svc.anularFacturaPorValores(**tupla, motivoAnulacion="Error").estadoFactura == "ANULADA"


def test_manual_only_operations_from_our_wsdl():
    svc, _ = service("ours", FakeBackends({"GetStates": pb.StatesAnswer(items=[pb.StateItem(state=ipb.PAGADA)]),
                                           "FindStates": pb.StatesAnswer(items=[pb.StateItem(state=ipb.ANULADA)])}),
                     False)
    assert svc.consultarEstadoFactura(idFactura=53) == "PAGADA"
    tupla = {"nifcifProveedor": "00278402X", "ejercicio": "2014-06-29", "numeroFactura": "3"}
    assert svc.consultarEstadoFacturaPorValores(**tupla) == "ANULADA"
    (item,) = svc.consultarGrupoEstadosFacturaPorValores(facturaTupla=[tupla])
    assert item.facturaTupla.ejercicio == "2014-06-29"


def test_faults_reach_zeep_with_the_servicio_error_detail(client):
    svc, _, backends, _, _ = client
    backends.answers["CancelInvoice"] = DomainError(ErrorKey.ANULACION_ESTADO_INCORRECTO)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        svc.anularFactura(idFactura=1, motivoAnulacion="x")
    assert caught.value.code.endswith(":Client")
    detail = caught.value.detail
    assert detail.findtext(f"{{{TNS}}}ServicioError/mensajesError") == "anulacion.error.estadoIncorrecto"

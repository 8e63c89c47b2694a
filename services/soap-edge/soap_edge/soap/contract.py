"""The PeFAC v2 wire types, in the reference XSD's names and element order."""
from __future__ import annotations

from spyne import ByteArray, ComplexModel, DateTime, Decimal, Enum, Fault, Long, Unicode

from ventanilla.domain.errors import DomainError

TNS = "http://v2.ws.efactura.ceh.gobiernodecanarias.org/"

#: ejercicio: the WSDL's integer year or the 2015 Date (2014-06-18, 2014/06/18), time part ignored.
EJERCICIO_PATTERN = (
    r"\s*\d{4}([\-/]\d{2}[\-/]\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+\-]\d{2}:?\d{2})?)?\s*"
)


def required(model):
    """The model as a mandatory, non-nillable element (minOccurs=1)."""
    return model.customize(min_occurs=1, nillable=False)


def optional(model):
    """The model as an optional, non-nillable element (minOccurs=0): absent when empty."""
    return model.customize(min_occurs=0, nillable=False)


EstadoFactura = Enum(
    "REGISTRADA", "REGISTRADA_RCF", "CONTABILIZADA", "PAGADA", "ANULADA", "RECHAZADA",
    type_name="estadoFactura",
)


#: One customize() call: a second one would make spyne derive an anonymous type per use.
Ejercicio = Unicode(
    pattern=EJERCICIO_PATTERN, min_occurs=1, nillable=False, type_name="ejercicio", __namespace__=TNS
)


class Model(ComplexModel):
    """Base of every PeFAC complex type: target namespace, declared element order."""

    __namespace__ = TNS


class Factura(Model):
    """The XSD's `factura` (version 1 of the invoice summary)."""

    __type_name__ = "factura"
    _type_info = [
        ("id", optional(Long)),
        ("serie", optional(Unicode)),
        ("numero", optional(Unicode)),
        ("nifProveedor", optional(Unicode)),
        ("nifCliente", optional(Unicode)),
        ("fechaFactura", optional(DateTime)),
        ("fechaFirma", optional(DateTime)),
        ("moneda", optional(Unicode)),
        ("total", optional(Decimal)),
        ("liquido", optional(Decimal)),
        ("versionFacturaE", optional(Unicode)),
        ("comprobanteRegistro", optional(ByteArray)),
        ("fechaRegistro", optional(DateTime)),
        ("estadoFactura", optional(EstadoFactura)),
        ("observacionesAnulacion", optional(Unicode)),
        ("fechaAnulacion", optional(DateTime)),
        ("oficinaContable", optional(Unicode)),
        ("organoGestor", optional(Unicode)),
        ("unidadTramitadora", optional(Unicode)),
        ("organoProponente", optional(Unicode)),
        ("claveTesoreria", optional(Unicode)),
    ]


class FacturaExtendidaV2(Factura):
    """The XSD's `FacturaExtendidaV2`: `factura` plus observacionesEstado."""

    __type_name__ = "FacturaExtendidaV2"
    _type_info = [("observacionesEstado", optional(Unicode))]


class Anexo(Model):
    """An attachment of enviarFactura."""

    __type_name__ = "anexo"
    _type_info = [("nombre", required(Unicode)), ("contenido", required(ByteArray))]


class FacturaTupla(Model):
    """The business key of a *PorValores query: <NIF, ejercicio, serie, numero>."""

    __type_name__ = "facturaTupla"
    _type_info = [
        ("nifcifProveedor", required(Unicode)),
        ("ejercicio", Ejercicio),
        ("serie", optional(Unicode)),
        ("numeroFactura", required(Unicode)),
    ]


class RespuestaEstadoFactura(Model):
    """A state and the manager's remarks on it."""

    __type_name__ = "respuestaEstadoFactura"
    _type_info = [("estadoFactura", optional(EstadoFactura)), ("observaciones", optional(Unicode))]


class RespuestaConsultaGrupoFactura(Model):
    """One item of a group answer: the query echoed, then a state or an error."""

    __type_name__ = "respuestaConsultaGrupoFactura"
    _type_info = [
        ("facturaTupla", optional(FacturaTupla)),
        ("id", optional(Long)),
        ("respuestaEstadoFactura", optional(RespuestaEstadoFactura)),
        ("error", Unicode(min_occurs=0, max_occurs="unbounded", nillable=True)),
    ]


class ServicioError(Fault):
    """The PeFAC fault (manual, Anexo I), raised for a catalogue DomainError."""

    __namespace__ = TNS
    __type_name__ = "ServicioError"
    _type_info = [
        ("mensajesError", Unicode(min_occurs=0, max_occurs="unbounded", nillable=True)),
        ("message", optional(Unicode)),
    ]

    def __init__(self, error: DomainError):
        super().__init__(faultcode=error.key.side.value, faultstring=error.detail)
        self.error = error
        self.mensajesError = [error.key.value]
        self.message = error.detail

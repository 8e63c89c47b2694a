"""The FacturaService operations: spyne declarations that delegate to the handlers."""
from __future__ import annotations

from spyne import ByteArray, Long, ServiceBase, Unicode, rpc

from soap_edge.contract import (
    Anexo,
    Ejercicio,
    EstadoFactura,
    FacturaExtendidaV2,
    FacturaTupla,
    RespuestaConsultaGrupoFactura,
    RespuestaEstadoFactura,
    ServicioError,
    optional,
    required,
)

PORT_TYPE = "FacturaService"

Id = required(Long)
Text = required(Unicode)
Serie = optional(Unicode)
Facturae = required(ByteArray)
Anexos = Anexo.customize(min_occurs=0, max_occurs="unbounded", nillable=False)
Ids = Long(min_occurs=1, max_occurs="unbounded", nillable=False)
Tuplas = FacturaTupla.customize(min_occurs=1, max_occurs="unbounded", nillable=False)
Factura = optional(FacturaExtendidaV2)
Estado = optional(EstadoFactura)
Motivo = optional(RespuestaEstadoFactura)
Grupo = RespuestaConsultaGrupoFactura.customize(min_occurs=0, max_occurs="unbounded", nillable=False)


def op(*params, returns, out="return", faults=True):
    """An rpc decorator with the reference WSDL's conventions (port type, result wrapper, fault)."""
    throws = {"_throws": ServicioError} if faults else {}
    return rpc(*params, _port_type=PORT_TYPE, _returns=returns, _out_variable_name=out, **throws)


def _tupla(nif, ejercicio, serie, numero):
    """The request's invoice tuple as one value."""
    return FacturaTupla(nifcifProveedor=nif, ejercicio=ejercicio, serie=serie, numeroFactura=numero)


class FacturaService(ServiceBase):
    """PeFAC v2, document/literal wrapped; ctx.udc carries the request's handlers and caller."""

    __service_name__ = "Factura"
    __port_types__ = (PORT_TYPE,)

    @op(returns=optional(Unicode), faults=False)
    def version(ctx):
        return ctx.udc.handlers.version()

    @op(Facturae, Anexos, returns=Factura)
    def enviarFactura(ctx, facturae, anexos):
        return ctx.udc.handlers.enviar(ctx.udc.caller, facturae, anexos or ())

    @op(Id, returns=Factura)
    def consultarFactura(ctx, idFactura):
        return ctx.udc.handlers.consultar(ctx.udc.caller, idFactura)

    @op(Text, Ejercicio, Serie, Text, returns=Factura)
    def consultarFacturaPorValores(ctx, nifcifProveedor, ejercicio, serie, numeroFactura):
        tupla = _tupla(nifcifProveedor, ejercicio, serie, numeroFactura)
        return ctx.udc.handlers.consultar_por_valores(ctx.udc.caller, tupla)

    @op(Id, returns=Estado)
    def consultarEstadoFactura(ctx, idFactura):
        return ctx.udc.handlers.estado(ctx.udc.caller, idFactura).estadoFactura

    @op(Text, Ejercicio, Serie, Text, returns=Estado)
    def consultarEstadoFacturaPorValores(ctx, nifcifProveedor, ejercicio, serie, numeroFactura):
        tupla = _tupla(nifcifProveedor, ejercicio, serie, numeroFactura)
        return ctx.udc.handlers.estado_por_valores(ctx.udc.caller, tupla).estadoFactura

    @op(Id, returns=Motivo, out="respuestaEstadoFactura")
    def consultarEstadoMotivoFactura(ctx, idFactura):
        return ctx.udc.handlers.estado(ctx.udc.caller, idFactura)

    @op(Text, Ejercicio, Serie, Text, returns=Motivo, out="respuestaEstadoFactura")
    def consultarEstadoMotivoFacturaPorValores(ctx, nifcifProveedor, ejercicio, serie, numeroFactura):
        tupla = _tupla(nifcifProveedor, ejercicio, serie, numeroFactura)
        return ctx.udc.handlers.estado_por_valores(ctx.udc.caller, tupla)

    # The reference WSDL declares no fault on the group operations (nor on version): keep it so.
    @op(Ids, returns=Grupo, out="resultadoEstadosFacturas", faults=False)
    def consultarGrupoEstadosFactura(ctx, facturaId):
        return ctx.udc.handlers.grupo(ctx.udc.caller, facturaId)

    @op(Tuplas, returns=Grupo, out="resultadoEstadosFacturas", faults=False)
    def consultarGrupoEstadoFacturasPorValores(ctx, facturaTupla):
        return ctx.udc.handlers.grupo_por_valores(ctx.udc.caller, facturaTupla)

    # The manual's spelling (section 4.9 heading) of the operation above.
    @op(Tuplas, returns=Grupo, out="resultadoEstadosFacturas", faults=False)
    def consultarGrupoEstadosFacturaPorValores(ctx, facturaTupla):
        return ctx.udc.handlers.grupo_por_valores(ctx.udc.caller, facturaTupla)

    @op(Id, Text, returns=Factura)
    def anularFactura(ctx, idFactura, motivoAnulacion):
        return ctx.udc.handlers.anular(ctx.udc.caller, idFactura, motivoAnulacion)

    @op(Text, Ejercicio, Serie, Text, Text, returns=Factura)
    def anularFacturaPorValores(ctx, nifcifProveedor, ejercicio, serie, numeroFactura, motivoAnulacion):
        tupla = _tupla(nifcifProveedor, ejercicio, serie, numeroFactura)
        return ctx.udc.handlers.anular_por_valores(ctx.udc.caller, tupla, motivoAnulacion)

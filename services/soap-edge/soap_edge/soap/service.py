"""The FacturaService operations: spyne declarations that delegate to the operations."""
from __future__ import annotations

from spyne import ByteArray, Long, ServiceBase, Unicode, rpc

from soap_edge.soap.contract import (
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
ANONYMOUS = frozenset({"version"})  # the operations that need no caller

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
    """PeFAC v2, document/literal wrapped; ctx.udc carries the operations and the request's facts (app.Call)."""

    __service_name__ = "Factura"
    __port_types__ = (PORT_TYPE,)

    @op(returns=optional(Unicode), faults=False)
    def version(ctx):
        return ctx.udc.operations.version()

    @op(Facturae, Anexos, returns=Factura)
    def enviarFactura(ctx, facturae, anexos):
        return ctx.udc.operations.enviar(ctx.udc.facts, facturae, anexos or ())

    @op(Id, returns=Factura)
    def consultarFactura(ctx, idFactura):
        return ctx.udc.operations.consultar(ctx.udc.facts, idFactura)

    @op(Text, Ejercicio, Serie, Text, returns=Factura)
    def consultarFacturaPorValores(ctx, nifcifProveedor, ejercicio, serie, numeroFactura):
        tupla = _tupla(nifcifProveedor, ejercicio, serie, numeroFactura)
        return ctx.udc.operations.consultar_por_valores(ctx.udc.facts, tupla)

    @op(Id, returns=Estado)
    def consultarEstadoFactura(ctx, idFactura):
        return ctx.udc.operations.estado(ctx.udc.facts, idFactura).estadoFactura

    @op(Text, Ejercicio, Serie, Text, returns=Estado)
    def consultarEstadoFacturaPorValores(ctx, nifcifProveedor, ejercicio, serie, numeroFactura):
        tupla = _tupla(nifcifProveedor, ejercicio, serie, numeroFactura)
        return ctx.udc.operations.estado_por_valores(ctx.udc.facts, tupla).estadoFactura

    @op(Id, returns=Motivo, out="respuestaEstadoFactura")
    def consultarEstadoMotivoFactura(ctx, idFactura):
        return ctx.udc.operations.estado(ctx.udc.facts, idFactura)

    @op(Text, Ejercicio, Serie, Text, returns=Motivo, out="respuestaEstadoFactura")
    def consultarEstadoMotivoFacturaPorValores(ctx, nifcifProveedor, ejercicio, serie, numeroFactura):
        tupla = _tupla(nifcifProveedor, ejercicio, serie, numeroFactura)
        return ctx.udc.operations.estado_por_valores(ctx.udc.facts, tupla)

    # The reference WSDL declares no fault on the group operations (nor on version): keep it so.
    @op(Ids, returns=Grupo, out="resultadoEstadosFacturas", faults=False)
    def consultarGrupoEstadosFactura(ctx, facturaId):
        return ctx.udc.operations.grupo(ctx.udc.facts, facturaId)

    @op(Tuplas, returns=Grupo, out="resultadoEstadosFacturas", faults=False)
    def consultarGrupoEstadoFacturasPorValores(ctx, facturaTupla):
        return ctx.udc.operations.grupo_por_valores(ctx.udc.facts, facturaTupla)

    # The manual's spelling (section 4.9 heading) of the operation above.
    @op(Tuplas, returns=Grupo, out="resultadoEstadosFacturas", faults=False)
    def consultarGrupoEstadosFacturaPorValores(ctx, facturaTupla):
        return ctx.udc.operations.grupo_por_valores(ctx.udc.facts, facturaTupla)

    @op(Id, Text, returns=Factura)
    def anularFactura(ctx, idFactura, motivoAnulacion):
        return ctx.udc.operations.anular(ctx.udc.facts, idFactura, motivoAnulacion)

    @op(Text, Ejercicio, Serie, Text, Text, returns=Factura)
    def anularFacturaPorValores(ctx, nifcifProveedor, ejercicio, serie, numeroFactura, motivoAnulacion):
        tupla = _tupla(nifcifProveedor, ejercicio, serie, numeroFactura)
        return ctx.udc.operations.anular_por_valores(ctx.udc.facts, tupla, motivoAnulacion)

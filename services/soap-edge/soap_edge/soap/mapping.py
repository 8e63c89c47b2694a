"""Translation between protobuf answers and the PeFAC wire types (omitting what is empty)."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal
from functools import cache

from ventanilla.adapters.invoice_messages import moment
from ventanilla.api.v1 import invoice_pb2, services_pb2

from soap_edge.soap.contract import (
    FacturaExtendidaV2,
    FacturaTupla,
    RespuestaConsultaGrupoFactura,
    RespuestaEstadoFactura,
)
from soap_edge.soap.ejercicio import parse_ejercicio

# Dates go out in UTC: a date-only field (fechaFactura) at 00:00 UTC keeps its calendar day for
# every client between UTC and UTC+12 (Canarias is UTC+0/+1, the peninsula UTC+1/+2), whereas
# 00:00 Europe/Madrid is still the previous day in Canarias.
UTC = timezone.utc


def _text(value: str) -> str | None:
    return value or None


def _decimal(value: str) -> Decimal | None:
    return Decimal(value) if value else None


def _moment(message, field: str) -> datetime | None:
    return moment(getattr(message, field), message.HasField(field))


def day(iso: str) -> datetime | None:
    """A date-only field's day at 00:00 UTC (None when empty)."""
    return datetime.combine(date.fromisoformat(iso), time(), UTC) if iso else None


@cache  # a handful of values, asked for every item of a group
def estado(state: int) -> str | None:
    """The wire enumeration value of a protobuf InvoiceState (None when unspecified)."""
    return invoice_pb2.InvoiceState.Name(state) if state else None


def factura(invoice: invoice_pb2.Invoice, receipt_pdf: bytes = b"") -> FacturaExtendidaV2:
    """The FacturaExtendidaV2 answer for an invoice and its receipt (comprobanteRegistro)."""
    return FacturaExtendidaV2(**factura_values(invoice, receipt_pdf))


def factura_values(invoice: invoice_pb2.Invoice, receipt_pdf: bytes = b"") -> dict:
    """FacturaExtendidaV2's element values for an invoice and its receipt (None: omitted)."""
    key, centres = invoice.key, invoice.centres
    return dict(
        id=invoice.id or None,
        serie=_text(key.series),
        numero=_text(key.number),
        nifProveedor=_text(key.supplier_nif),
        nifCliente=_text(invoice.customer_nif),
        fechaFactura=day(invoice.issue_date),
        fechaFirma=_moment(invoice, "signed_at"),
        moneda=_text(invoice.currency),
        total=_decimal(invoice.total),
        liquido=_decimal(invoice.payable),
        versionFacturaE=_text(invoice.facturae_version),
        comprobanteRegistro=[receipt_pdf] if receipt_pdf else None,
        fechaRegistro=_moment(invoice, "registered_at"),
        estadoFactura=estado(invoice.state),
        observacionesAnulacion=_text(invoice.cancellation_reason),
        fechaAnulacion=_moment(invoice, "cancellation_requested_at"),
        oficinaContable=_text(centres.oficina_contable),
        organoGestor=_text(centres.organo_gestor),
        unidadTramitadora=_text(centres.unidad_tramitadora),
        organoProponente=_text(centres.organo_proponente),
        claveTesoreria=_text(invoice.treasury_key),
        observacionesEstado=_text(invoice.state_remarks),
    )


def respuesta_estado(item: services_pb2.StateItem) -> RespuestaEstadoFactura:
    """A state and its remarks."""
    return RespuestaEstadoFactura(estadoFactura=estado(item.state), observaciones=_text(item.remarks))


def item_error(item: services_pb2.StateItem) -> str | None:
    """The catalogue key a group item failed with, if any."""
    return item.error.key if item.HasField("error") and item.error.key else None


def grupo_item(item: services_pb2.StateItem, **echo) -> RespuestaConsultaGrupoFactura:
    """One group answer item: the echoed query (id= or facturaTupla=), then the state or the error."""
    error = item_error(item)
    if error:
        return RespuestaConsultaGrupoFactura(error=[error], **echo)
    answer = respuesta_estado(item) if item.state else None
    return RespuestaConsultaGrupoFactura(respuestaEstadoFactura=answer, **echo)


def invoice_tuple(tupla: FacturaTupla) -> invoice_pb2.InvoiceTuple:
    """The protobuf tuple query; raises DomainError(XML) for a bad ejercicio."""
    year, issue_date = parse_ejercicio(tupla.ejercicio)
    return invoice_pb2.InvoiceTuple(
        supplier_nif=(tupla.nifcifProveedor or "").strip(),
        year=year,
        issue_date=issue_date,
        series=tupla.serie or "",
        number=tupla.numeroFactura or "",
    )


def binary(value) -> bytes | memoryview:
    """The bytes of a spyne ByteArray value (a sequence of chunks, or None); one chunk (an MTOM part: a view of
    the request body) as it is, without a copy."""
    if not value:
        return b""
    return value[0] if len(value) == 1 else b"".join(value)

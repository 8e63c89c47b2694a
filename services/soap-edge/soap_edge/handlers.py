"""The PeFAC operations as calls to the gRPC backends (protobuf in, wire types out)."""
from __future__ import annotations

from typing import Iterable, Sequence

from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge import mapping
from soap_edge.backends import Backends
from soap_edge.contract import FacturaTupla, RespuestaConsultaGrupoFactura, RespuestaEstadoFactura

VERSION = "2.0"


def catalogue_error(error: pb.CatalogueError) -> DomainError:
    """The DomainError of a catalogue error carried in an answer (unknown keys: a server error)."""
    try:
        return DomainError(ErrorKey(error.key), error.message or None)
    except ValueError:
        return DomainError(ErrorKey.REGISTRO)


class Handlers:
    """One method per operation; DomainErrors become SOAP faults further out."""

    def __init__(self, backends: Backends, group_max_items: int):
        self._backends = backends
        self._group_max_items = group_max_items

    def version(self) -> str:
        """The service version (manual v2.0)."""
        return VERSION

    def enviar(self, caller: pb.Caller, facturae, anexos: Iterable):
        """enviarFactura: register the Facturae document and its attachments."""
        request = pb.SubmitInvoiceRequest(
            caller=caller,
            facturae=mapping.binary(facturae),
            attachments=[pb.Attachment(name=a.nombre or "", content=mapping.binary(a.contenido)) for a in anexos],
        )
        answer = self._backends.call("registry", "SubmitInvoice", request)
        return mapping.factura(answer.invoice, answer.receipt_pdf)

    def consultar(self, caller: pb.Caller, invoice_id: int):
        """consultarFactura."""
        answer = self._backends.call("status", "GetInvoice", pb.InvoiceById(caller=caller, id=invoice_id))
        return mapping.factura(answer.invoice, answer.receipt_pdf)

    def consultar_por_valores(self, caller: pb.Caller, tupla: FacturaTupla):
        """consultarFacturaPorValores."""
        request = pb.InvoiceByTuple(caller=caller, tuple=mapping.invoice_tuple(tupla))
        answer = self._backends.call("status", "FindInvoice", request)
        return mapping.factura(answer.invoice, answer.receipt_pdf)

    def estado(self, caller: pb.Caller, invoice_id: int) -> RespuestaEstadoFactura:
        """consultarEstado(Motivo)Factura: one invoice's state and remarks."""
        answer = self._backends.call("status", "GetStates", pb.StatesByIds(caller=caller, ids=[invoice_id]))
        return mapping.respuesta_estado(_single(answer))

    def estado_por_valores(self, caller: pb.Caller, tupla: FacturaTupla) -> RespuestaEstadoFactura:
        """consultarEstado(Motivo)FacturaPorValores."""
        request = pb.StatesByTuples(caller=caller, tuples=[mapping.invoice_tuple(tupla)])
        return mapping.respuesta_estado(_single(self._backends.call("status", "FindStates", request)))

    def grupo(self, caller: pb.Caller, ids: Sequence[int]) -> list[RespuestaConsultaGrupoFactura]:
        """consultarGrupoEstadosFactura: item by item, in request order."""
        self._check_group(ids)
        answer = self._backends.call("status", "GetStates", pb.StatesByIds(caller=caller, ids=ids))
        return [mapping.grupo_item(item, id=i) for i, item in zip(ids, _items(answer, len(ids)))]

    def grupo_por_valores(self, caller: pb.Caller, tuplas: Sequence[FacturaTupla]):
        """consultarGrupoEstadoFacturasPorValores: a bad ejercicio fails only its own item."""
        self._check_group(tuplas)
        parsed = [_parsed(t) for t in tuplas]
        valid = [p for p in parsed if not isinstance(p, DomainError)]
        request = pb.StatesByTuples(caller=caller, tuples=valid)
        found = iter(_items(self._backends.call("status", "FindStates", request), len(valid)) if valid else ())
        items = [_failed(p) if isinstance(p, DomainError) else next(found) for p in parsed]
        return [mapping.grupo_item(item, facturaTupla=t) for t, item in zip(tuplas, items)]

    def anular(self, caller: pb.Caller, invoice_id: int, motivo: str):
        """anularFactura."""
        request = pb.CancelById(caller=caller, id=invoice_id, reason=motivo or "")
        answer = self._backends.call("cancellation", "CancelInvoice", request)
        return mapping.factura(answer.invoice, answer.receipt_pdf)

    def anular_por_valores(self, caller: pb.Caller, tupla: FacturaTupla, motivo: str):
        """anularFacturaPorValores."""
        request = pb.CancelByTuple(caller=caller, tuple=mapping.invoice_tuple(tupla), reason=motivo or "")
        answer = self._backends.call("cancellation", "CancelInvoiceByTuple", request)
        return mapping.factura(answer.invoice, answer.receipt_pdf)

    def _check_group(self, items: Sequence) -> None:
        if len(items) > self._group_max_items:
            raise DomainError(ErrorKey.XML, f"Una consulta de grupo admite como máximo "
                                            f"{self._group_max_items} facturas; se recibieron {len(items)}.")


def _parsed(tupla: FacturaTupla):
    try:
        return mapping.invoice_tuple(tupla)
    except DomainError as error:
        return error


def _failed(error: DomainError) -> pb.StateItem:
    return pb.StateItem(error=pb.CatalogueError(key=error.key.value, message=error.detail))


def _items(answer: pb.StatesAnswer, expected: int):
    if len(answer.items) != expected:
        raise DomainError(ErrorKey.REGISTRO, "Respuesta incompleta del servicio de consulta.")
    return answer.items


def _single(answer: pb.StatesAnswer) -> pb.StateItem:
    (item,) = _items(answer, 1)
    if mapping.item_error(item):
        raise catalogue_error(item.error)
    return item

"""The PeFAC operations as calls to the typed backend clients (wire types in, wire types out)."""
from __future__ import annotations

from typing import Iterable, Sequence

from ventanilla.adapters.submission_stream import Attachment, Content
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.backends.clients import Backends, InvoiceWithReceipt
from soap_edge.backends.own_writes import RecentWriters
from soap_edge.facts import RequestFacts
from soap_edge.identity.access import Access, OpenAccess
from soap_edge.soap import mapping
from soap_edge.soap.contract import FacturaTupla, RespuestaConsultaGrupoFactura, RespuestaEstadoFactura

VERSION = "2.0"


def catalogue_error(error: pb.CatalogueError) -> DomainError:
    """The DomainError of a catalogue error carried in an answer (unknown keys: a server error)."""
    try:
        return DomainError(ErrorKey(error.key), error.message or None)
    except ValueError:
        return DomainError(ErrorKey.REGISTRO)


class Operations:
    """One method per operation; a refusal is a DomainError, which the front answers as a fault."""

    def __init__(self, backends: Backends, group_max_items: int, access: Access | None = None,
                 writers: RecentWriters | None = None):
        self._registry, self._status, self._cancellation = backends.registry, backends.status, backends.cancellation
        self._group_max_items = group_max_items
        self._access = access or OpenAccess()
        self._writers = writers if writers is not None else RecentWriters()

    def _caller(self, facts: RequestFacts) -> pb.Caller:
        """Who asks, as the backends hear it; the refusal of a certificate that names nobody or may not call."""
        return self._access.caller(facts.identified(), facts.request_id)

    def _reader(self, facts: RequestFacts) -> pb.Caller:
        """The caller of a query: asking for read-your-writes if it cancelled through this edge a moment ago."""
        who = self._caller(facts)
        who.read_own_writes = self._writers.recent(who.nif)
        return who

    def _cancelled(self, who: pb.Caller, answer: pb.InvoiceAnswer) -> pb.InvoiceAnswer:
        self._writers.wrote(who.nif)
        return answer

    def version(self) -> str:
        """The service version (manual v2.0)."""
        return VERSION

    def submit(self, facts: RequestFacts, facturae: Content,
               attachments: Sequence[Attachment]) -> pb.SubmitInvoiceResponse:
        """enviarFactura's registration and receipt, as the registry answers them."""
        return self._registry.submit(self._caller(facts), facturae, attachments)

    def enviar(self, facts: RequestFacts, facturae, anexos: Iterable):
        """enviarFactura: register the Facturae document and its attachments."""
        attachments = [Attachment(a.nombre or "", mapping.binary(a.contenido)) for a in anexos]
        answer = self.submit(facts, mapping.binary(facturae), attachments)
        return mapping.factura(answer.invoice, answer.receipt_pdf)

    def invoice(self, facts: RequestFacts, invoice_id: int) -> InvoiceWithReceipt:
        """consultarFactura's invoice and receipt, as the status service answers them."""
        return self._status.invoice(self._reader(facts), invoice_id)

    def consultar(self, facts: RequestFacts, invoice_id: int):
        """consultarFactura."""
        answer = self.invoice(facts, invoice_id)
        return mapping.factura(answer.invoice, answer.receipt_pdf)

    def consultar_por_valores(self, facts: RequestFacts, tupla: FacturaTupla):
        """consultarFacturaPorValores."""
        who = self._reader(facts)
        answer = self._status.invoice_by_tuple(who, mapping.invoice_tuple(tupla))
        return mapping.factura(answer.invoice, answer.receipt_pdf)

    def state(self, facts: RequestFacts, invoice_id: int) -> pb.StateItem:
        """One invoice's state and remarks, as the status service answers them; its error raised."""
        return _checked(self._status.state(self._reader(facts), invoice_id))

    def estado(self, facts: RequestFacts, invoice_id: int) -> RespuestaEstadoFactura:
        """consultarEstado(Motivo)Factura: one invoice's state and remarks."""
        return mapping.respuesta_estado(self.state(facts, invoice_id))

    def estado_por_valores(self, facts: RequestFacts, tupla: FacturaTupla) -> RespuestaEstadoFactura:
        """consultarEstado(Motivo)FacturaPorValores."""
        who = self._reader(facts)
        return mapping.respuesta_estado(_checked(self._status.state_by_tuple(who, mapping.invoice_tuple(tupla))))

    def states(self, facts: RequestFacts, ids: Sequence[int]) -> Sequence[pb.StateItem]:
        """A group's items as the status service answers them, in request order (a failed item carries its error)."""
        who = self._reader(facts)
        self._check_group(ids)
        return _items(self._status.states(who, ids), len(ids))

    def grupo(self, facts: RequestFacts, ids: Sequence[int]) -> list[RespuestaConsultaGrupoFactura]:
        """consultarGrupoEstadosFactura: item by item, in request order."""
        return [mapping.grupo_item(item, id=i) for i, item in zip(ids, self.states(facts, ids))]

    def grupo_por_valores(self, facts: RequestFacts, tuplas: Sequence[FacturaTupla]):
        """consultarGrupoEstadoFacturasPorValores: a bad ejercicio fails only its own item."""
        who = self._reader(facts)
        self._check_group(tuplas)
        parsed = [_parsed(t) for t in tuplas]
        valid = [p for p in parsed if not isinstance(p, DomainError)]
        found = iter(_items(self._status.states_by_tuples(who, valid), len(valid)) if valid else ())
        items = [_failed(p) if isinstance(p, DomainError) else next(found) for p in parsed]
        return [mapping.grupo_item(item, facturaTupla=t) for t, item in zip(tuplas, items)]

    def anular(self, facts: RequestFacts, invoice_id: int, motivo: str):
        """anularFactura."""
        who = self._caller(facts)
        answer = self._cancelled(who, self._cancellation.cancel(who, invoice_id, motivo or ""))
        return mapping.factura(answer.invoice, answer.receipt_pdf)

    def anular_por_valores(self, facts: RequestFacts, tupla: FacturaTupla, motivo: str):
        """anularFacturaPorValores."""
        who = self._caller(facts)
        answer = self._cancelled(who, self._cancellation.cancel_by_tuple(who, mapping.invoice_tuple(tupla),
                                                                         motivo or ""))
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


def _checked(item: pb.StateItem) -> pb.StateItem:
    if mapping.item_error(item):
        raise catalogue_error(item.error)
    return item

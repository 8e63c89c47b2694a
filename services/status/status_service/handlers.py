"""Query use cases: find invoices for a caller, never revealing what it may not see."""
from __future__ import annotations

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import Invoice, InvoiceTuple
from ventanilla.ports import BlobStore
from status_service.ports import Progress, Projection


class Queries:
    """Answers by id, by tuple, and by groups of either, after catching up with the log."""

    def __init__(self, store: Projection, blobs: BlobStore, catch_up: Progress):
        self._store = store
        self._blobs = blobs
        self._catch_up = catch_up

    def _caught_up(self) -> None:
        self._catch_up.ensure()

    @staticmethod
    def _visible(invoice: Invoice | None, caller_nif: str) -> Invoice:
        if invoice is None or not invoice.visible_to(caller_nif):
            raise DomainError(ErrorKey.FACTURA_INVALIDA)
        return invoice

    def _by_tuple(self, query: InvoiceTuple) -> Invoice | None:
        invoice = self._store.find(query.key, with_history=False)
        return invoice if invoice is not None and invoice.matches(query) else None

    def invoice_by_id(self, caller_nif: str, invoice_id: int) -> tuple[Invoice, bytes]:
        """The invoice and its receipt PDF."""
        self._caught_up()
        invoice = self._visible(self._store.load(invoice_id, with_history=False), caller_nif)
        return invoice, self._blobs.get(invoice.registration.receipt.sha256)

    def invoice_by_tuple(self, caller_nif: str, query: InvoiceTuple) -> tuple[Invoice, bytes]:
        """The invoice designated by a tuple, and its receipt PDF."""
        self._caught_up()
        invoice = self._visible(self._by_tuple(query), caller_nif)
        return invoice, self._blobs.get(invoice.registration.receipt.sha256)

    def states_by_ids(self, caller_nif: str, ids: list[int]) -> list[Invoice | DomainError]:
        """Item by item, in request order: the invoice or the error for that item."""
        self._caught_up()
        return [self._item(lambda i=i: self._store.load(i, with_history=False), caller_nif) for i in ids]

    def states_by_tuples(self, caller_nif: str, queries: list[InvoiceTuple]) -> list[Invoice | DomainError]:
        """Item by item, in request order: the invoice or the error for that item."""
        self._caught_up()
        return [self._item(lambda q=q: self._by_tuple(q), caller_nif) for q in queries]

    def _item(self, lookup, caller_nif: str) -> Invoice | DomainError:
        try:
            return self._visible(lookup(), caller_nif)
        except DomainError as error:
            return error

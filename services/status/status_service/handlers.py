"""Query use cases: find invoices for a caller, never revealing what it may not see."""
from __future__ import annotations

from ventanilla.adapters.blob_store import BlobStore
from ventanilla.adapters.projection_store import ProjectionStore
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import Invoice, InvoiceTuple
from ventanilla.adapters.catch_up import CatchUp


class Queries:
    """Answers by id, by tuple, and by groups of either, from the projection; with the log's end where it matters.

    Read-your-writes (invariant 5) costs a broker round trip (CatchUp.ensure). It is paid only where the caller may
    be reading its own write: an invoice the projection does not show the caller (an id it was just given) and a
    caller flagged `read_own_writes` (a cancellation it just made). Any other answer comes from the projection as
    applied, provided it is not behind the last end offsets the broker gave.
    """

    def __init__(self, store: ProjectionStore, blobs: BlobStore, catch_up: CatchUp):
        self._store = store
        self._blobs = blobs
        self._catch_up = catch_up

    def _answered(self, lookups: list, caller_nif: str, own_writes: bool) -> list[Invoice | DomainError]:
        """Each lookup's invoice as the caller may see it; misses looked up again once caught up with the log."""
        fast = not own_writes and self._catch_up.at_known_end()
        items = [self._item(lookup, caller_nif) for lookup in lookups] if fast else [None] * len(lookups)
        missed = [n for n, item in enumerate(items) if not isinstance(item, Invoice)]
        if missed:
            self._catch_up.ensure()
            for n in missed:
                items[n] = self._item(lookups[n], caller_nif)
        return items

    def _one(self, lookup, caller_nif: str, own_writes: bool) -> tuple[Invoice, bytes]:
        (item,) = self._answered([lookup], caller_nif, own_writes)
        if isinstance(item, DomainError):
            raise item
        return item, self._blobs.get(item.registration.receipt.sha256)

    @staticmethod
    def _visible(invoice: Invoice | None, caller_nif: str) -> Invoice:
        if invoice is None or not invoice.visible_to(caller_nif):
            raise DomainError(ErrorKey.FACTURA_INVALIDA)
        return invoice

    def _by_id(self, invoice_id: int):
        return lambda: self._store.load(invoice_id, with_history=False)

    def _by_tuple(self, query: InvoiceTuple):
        def lookup() -> Invoice | None:
            invoice = self._store.find(query.key, with_history=False)
            return invoice if invoice is not None and invoice.matches(query) else None
        return lookup

    def invoice_by_id(self, caller_nif: str, invoice_id: int, own_writes: bool = False) -> tuple[Invoice, bytes]:
        """The invoice and its receipt PDF."""
        return self._one(self._by_id(invoice_id), caller_nif, own_writes)

    def invoice_by_tuple(self, caller_nif: str, query: InvoiceTuple, own_writes: bool = False) -> tuple[Invoice, bytes]:
        """The invoice designated by a tuple, and its receipt PDF."""
        return self._one(self._by_tuple(query), caller_nif, own_writes)

    def states_by_ids(self, caller_nif: str, ids: list[int], own_writes: bool = False) -> list[Invoice | DomainError]:
        """Item by item, in request order: the invoice or the error for that item."""
        return self._answered([self._by_id(i) for i in ids], caller_nif, own_writes)

    def states_by_tuples(self, caller_nif: str, queries: list[InvoiceTuple],
                         own_writes: bool = False) -> list[Invoice | DomainError]:
        """Item by item, in request order: the invoice or the error for that item."""
        return self._answered([self._by_tuple(q) for q in queries], caller_nif, own_writes)

    def _item(self, lookup, caller_nif: str) -> Invoice | DomainError:
        try:
            return self._visible(lookup(), caller_nif)
        except DomainError as error:
            return error

"""Query use cases: find invoices for a caller, never revealing what it may not see."""
from __future__ import annotations

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import Invoice, InvoiceStatus, InvoiceTuple
from ventanilla.ports import BlobStore
from status_service.ports import Progress, Projection


Member = tuple  # (caller NIF, id or InvoiceTuple, read_own_writes): one caller's query of one item in a batch


def _columns(members: list[Member]) -> tuple[list, list[str], list[bool]]:
    nifs, keys, own_writes = zip(*members)
    return list(keys), list(nifs), list(own_writes)


class Queries:
    """Answers by id, by tuple, and by groups of either, from the projection; with the log's end where it matters.

    Read-your-writes (invariant 5) costs a broker round trip (CatchUp.ensure). It is paid only where the caller may
    be reading its own write: an invoice the projection does not show the caller (an id it was just given) and a
    caller flagged `read_own_writes` (a cancellation it just made). Any other answer comes from the projection as
    applied, provided it is not behind the last end offsets the broker gave.
    """

    def __init__(self, store: Projection, blobs: BlobStore, catch_up: Progress):
        self._store = store
        self._blobs = blobs
        self._catch_up = catch_up

    def _answered(self, fetch, keys: list, caller_nif: str, own_writes: bool) -> list:
        """Each key's invoice as the caller may see it (or its error); misses fetched again once caught up."""
        items, refusal = self._each(fetch, keys, [caller_nif] * len(keys), [own_writes] * len(keys))
        if refusal is not None:
            raise refusal
        return items

    def _each(self, fetch, keys: list, nifs: list[str], own_writes: list[bool]) -> tuple[list, DomainError | None]:
        """Key n as nifs[n] may see it (or its error), read-your-writes as own_writes[n] asks; the projection's
        misses fetched again once caught up (one wait for all). A failed wait: (the items, with each miss the
        refusal, the refusal)."""
        known_end = not all(own_writes) and self._catch_up.at_known_end()
        fast = [n for n, own in enumerate(own_writes) if known_end and not own]
        items: list = [None] * len(keys)
        for n, found in zip(fast, fetch([keys[n] for n in fast]) if fast else ()):
            items[n] = self._item(found, nifs[n])
        missed = [n for n, item in enumerate(items) if item is None or isinstance(item, DomainError)]
        if not missed:
            return items, None
        try:
            self._catch_up.ensure()
        except DomainError as refusal:
            for n in missed:
                items[n] = refusal
            return items, refusal
        for n, found in zip(missed, fetch([keys[n] for n in missed])):
            items[n] = self._item(found, nifs[n])
        return items, None

    def _one(self, fetch, key, caller_nif: str, own_writes: bool, held_receipt: str) -> tuple[Invoice, bytes | None]:
        (item,) = self._answered(fetch, [key], caller_nif, own_writes)
        if isinstance(item, DomainError):
            raise item
        sha256 = item.registration.receipt.sha256
        if held_receipt and held_receipt == sha256:  # the caller holds this very receipt: no blob read
            return item, None
        return item, self._blobs.get(sha256)

    @staticmethod
    def _visible(invoice, caller_nif: str):
        if invoice is None or not invoice.visible_to(caller_nif):
            raise DomainError(ErrorKey.FACTURA_INVALIDA)
        return invoice

    def _invoices(self, ids: list[int]) -> list[Invoice | None]:
        return [self._store.load(i, with_history=False) for i in ids]

    def _statuses(self, ids: list[int]) -> list[InvoiceStatus | None]:
        found = self._store.statuses(ids)
        return [found.get(i) for i in ids]

    def _by_tuples(self, queries: list[InvoiceTuple]) -> list[Invoice | None]:
        found = [(q, self._store.find(q.key, with_history=False)) for q in queries]
        return [invoice if invoice is not None and invoice.matches(q) else None for q, invoice in found]

    def invoice_by_id(self, caller_nif: str, invoice_id: int, own_writes: bool = False,
                      held_receipt: str = "") -> tuple[Invoice, bytes | None]:
        """The invoice and its receipt PDF; None for the PDF when its SHA-256 is held_receipt (the caller has it)."""
        return self._one(self._invoices, invoice_id, caller_nif, own_writes, held_receipt)

    def invoice_by_tuple(self, caller_nif: str, query: InvoiceTuple, own_writes: bool = False,
                         held_receipt: str = "") -> tuple[Invoice, bytes | None]:
        """The invoice designated by a tuple, and its receipt PDF as invoice_by_id gives it."""
        return self._one(self._by_tuples, query, caller_nif, own_writes, held_receipt)

    def states_by_ids(self, caller_nif: str, ids: list[int],
                      own_writes: bool = False) -> list[InvoiceStatus | DomainError]:
        """Item by item, in request order: the invoice's status or the error for that item."""
        return self._answered(self._statuses, ids, caller_nif, own_writes)

    def states_by_tuples(self, caller_nif: str, queries: list[InvoiceTuple],
                         own_writes: bool = False) -> list[Invoice | DomainError]:
        """Item by item, in request order: the invoice or the error for that item."""
        return self._answered(self._by_tuples, queries, caller_nif, own_writes)

    def state_batch(self, ids: list[Member], tuples: list[Member]) -> tuple[list, list]:
        """Many callers' single queries at once, (by ids, by tuples): each member (caller NIF, id or tuple,
        read-your-writes) answered and authorized as its own query of one item would be; a refusal to wait for the
        log's end is the error of the items that needed it, never of the others."""
        if not ids and not tuples:
            return [], []
        items, _ = self._each(self._states_by_key, *_columns(ids + tuples))  # one wait for every member's miss
        return items[:len(ids)], items[len(ids):]

    def _states_by_key(self, keys: list) -> list:
        """Each key's state, in order: an id's status, a tuple's invoice."""
        ids = [key for key in keys if not isinstance(key, InvoiceTuple)]
        tuples = [key for key in keys if isinstance(key, InvoiceTuple)]
        by_id = iter(self._statuses(ids) if ids else ())
        by_tuple = iter(self._by_tuples(tuples) if tuples else ())
        return [next(by_tuple) if isinstance(key, InvoiceTuple) else next(by_id) for key in keys]

    def _item(self, found, caller_nif: str):
        try:
            return self._visible(found, caller_nif)
        except DomainError as error:
            return error

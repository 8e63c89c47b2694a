"""What the status service's use cases need of its read side: the projection, and how far it has read the log.

The log, the blobs and the clock are the shared ports (ventanilla/ports.py); the adapters are
ventanilla.adapters.projection_store.ProjectionStore and ventanilla.adapters.catch_up.CatchUp.
"""
from __future__ import annotations

from typing import Protocol

from ventanilla.domain.invoice import Invoice, InvoiceKey, InvoiceStatus


class Projection(Protocol):
    """The invoices as the projection has folded them (without history when only answered, never decided on)."""

    def load(self, invoice_id: int, with_history: bool = True) -> Invoice | None: ...
    def find(self, key: InvoiceKey, with_history: bool = True) -> Invoice | None: ...
    def statuses(self, ids: list[int]) -> dict[int, InvoiceStatus]: ...


class Progress(Protocol):
    """How far the projection has applied the invoice log."""

    def wait(self) -> bool:
        """Until applied up to the log's end as of now; False on timeout."""

    def ensure(self) -> None:
        """As wait, but a DomainError (registro) when behind."""

    def reached(self, partition: int, next_offset: int) -> bool:
        """Until one partition is applied up to next_offset; False on timeout."""

    def at_known_end(self) -> bool:
        """Whether everything up to the last end offsets the broker gave is applied (no round trip)."""

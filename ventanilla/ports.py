"""What the use cases need from outside, declared once for every service: the log, the claims, the blobs, the clock.

Adapters implement these (ventanilla/adapters/); the in-memory ones for unit tests (tests/support/invoice_fakes.py)
pass the same contract tests (tests/support/invoice_contracts.py, run by tests/unit/adapters/test_invoice_fakes.py
and tests/integration/test_invoice_contracts.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Protocol

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import InvoiceEvent, InvoiceRegistered
from ventanilla.domain.invoice import DocumentRef, InvoiceKey

IN_PROGRESS = ("Esta factura se está registrando en otra presentación todavía sin concluir; "
               "vuelva a enviarla en unos segundos.")


@dataclass(frozen=True)
class Position:
    """Where a record landed: topic, partition, offset."""

    topic: str
    partition: int
    offset: int


class NotSent(RuntimeError):
    """The event was surely not written (no producer, no metadata, refused before sending): safe to give up."""


class Log(Protocol):
    """The invoice event log: one partition per invoice, appends acknowledged by every in-sync replica.

    append raises NotSent when the event surely is not in the log; any other failure leaves that unknown.
    """

    def append(self, event: InvoiceEvent) -> Position: ...


class Outcome(Enum):
    """What reading an invoice's partition back can tell."""

    FOUND = "found"      # the registration is in the log
    ABSENT = "absent"    # the log surely lacks it
    UNKNOWN = "unknown"  # the log could not be read in time


@dataclass(frozen=True)
class ReadBack:
    """The answer of a read-back: the outcome, and for FOUND where the registration is and what it says."""

    outcome: Outcome
    position: Position | None = None
    event: InvoiceRegistered | None = None


ABSENT, UNKNOWN = ReadBack(Outcome.ABSENT), ReadBack(Outcome.UNKNOWN)


class Lookup(Protocol):
    """Reads an invoice's partition back among the records written since a moment, for at most timeout_s."""

    def __call__(self, invoice_id: int, since: datetime, timeout_s: float | None = None) -> ReadBack: ...


class ClaimPending(DomainError):
    """The key is held by a registration still in progress (or whose outcome is not known yet): try later.

    Never facturaRepetida: that answer means "registered, and you can query it".
    """

    def __init__(self, invoice_id: int, claimed_at: datetime):
        super().__init__(ErrorKey.REGISTRO, IN_PROGRESS)
        self.invoice_id, self.claimed_at = invoice_id, claimed_at


class Claims(Protocol):
    """Business-key claims with a unique constraint, the claim's id the invoice id; receipts filed by CSV.

    claim() refuses a key held by a registered invoice with facturaRepetida (ejercicio.diario when the dates
    differ), and a key whose registration is still pending with ClaimPending.
    """

    def claim(self, key: InvoiceKey, issue_date: date, facturae_sha256: str, now: datetime,
              csv: str | None = None) -> int: ...
    def confirm(self, invoice_id: int, csv: str | None, receipt_sha256: str) -> None: ...
    def is_pending(self, invoice_id: int) -> bool: ...
    def release(self, invoice_id: int) -> None: ...
    def receipt_of(self, csv: str) -> str | None: ...


class BlobStore(Protocol):
    """Stores documents by SHA-256; a put returns only once the bytes are durable."""

    def put(self, data: bytes, name: str = "", media_type: str = "") -> DocumentRef:
        """Store the bytes durably and return their reference."""

    def get(self, sha256: str) -> bytes:
        """The bytes stored under this hash; KeyError when absent."""


class Clock(Protocol):
    """Now, aware."""

    def now(self) -> datetime: ...

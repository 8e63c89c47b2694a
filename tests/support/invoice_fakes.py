"""In-memory adapters of ventanilla/ports.py (log, claims, blobs, clock) for unit tests of the invoice use cases.

They pass the contract tests the real adapters pass (tests/support/invoice_contracts.py). The log and the claims
can be told to fail as a broker or a database can, so that the use cases' failure branches are reachable.
"""
from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import InvoiceEvent, InvoiceRegistered
from ventanilla.domain.invoice import DocumentRef, InvoiceKey
from ventanilla.ports import ABSENT, UNKNOWN, ClaimPending, Outcome, Position, ReadBack
from tests.support.portal_fakes import FixedClock  # noqa: F401 - the Clock port's fake, shared with the portal

TOPIC = "invoices"
_SKEW = timedelta(minutes=1)  # as the Kafka lookup: record times come from the writer's clock


class MemoryLog:
    """The invoice topic as lists per partition, keyed by invoice; subscribers see each record as it lands.

    fail_next(error, written=...) makes the next append raise `error`, having written the event or not (a lost
    acknowledgement, or a failure before the broker took it); `readable = False` makes every lookup UNKNOWN.
    """

    def __init__(self, partitions: int = 3, topic: str = TOPIC):
        self.topic = topic
        self.partitions: list[list[tuple[InvoiceEvent, datetime]]] = [[] for _ in range(partitions)]
        self.readable = True
        self.lookups = 0
        self._subscribers: list = []
        self._failures: list[tuple[Exception, bool]] = []
        self._lock = threading.Lock()

    ready = True  # as EventLog.ready: appends can be tried

    def close(self, timeout_s: float | None = None) -> None:
        """As EventLog.close: nothing is buffered."""

    @property
    def events(self) -> list[InvoiceEvent]:
        """Every event written, partition by partition."""
        return [event for partition in self.partitions for event, _ in partition]

    def subscribe(self, apply) -> None:
        """Call apply(event, topic, partition, offset) for every record written from now on."""
        self._subscribers.append(apply)

    def fail_next(self, error: Exception, *, written: bool = False) -> None:
        """The next append raises `error`; with written=True the event is in the log all the same."""
        self._failures.append((error, written))

    def end_offsets(self) -> dict[int, int]:
        """The next offset of every partition."""
        return {p: len(records) for p, records in enumerate(self.partitions)}

    def append(self, event: InvoiceEvent) -> Position:
        """Write the event to its invoice's partition (or fail as told)."""
        failure = self._failures.pop(0) if self._failures else None
        if failure is None or failure[1]:
            position = self._write(event)
        if failure is not None:
            raise failure[0]
        return position

    def _write(self, event: InvoiceEvent) -> Position:
        with self._lock:
            partition = event.invoice_id % len(self.partitions)
            self.partitions[partition].append((event, datetime.now(timezone.utc)))
            position = Position(self.topic, partition, len(self.partitions[partition]) - 1)
        for apply in self._subscribers:
            apply(event, position.topic, position.partition, position.offset)
        return position

    def lookup(self, invoice_id: int, since: datetime, timeout_s: float | None = None) -> ReadBack:
        """The Lookup port: the invoice's registration among the records written since a moment."""
        self.lookups += 1
        if not self.readable:
            return UNKNOWN
        partition = invoice_id % len(self.partitions)
        for offset, (event, written_at) in enumerate(self.partitions[partition]):
            if isinstance(event, InvoiceRegistered) and event.invoice_id == invoice_id and written_at >= since - _SKEW:
                return ReadBack(Outcome.FOUND, Position(self.topic, partition, offset), event)
        return ABSENT


@dataclass
class _Claim:
    key: InvoiceKey
    issue_date: date
    claimed_at: datetime
    csv: str | None
    receipt_sha256: str | None = None
    registered: bool = False


class MemoryClaims:
    """The claims store over a dictionary: ids never reused, a key held until released or registered.

    fail_next(method, error) makes the next call of that method raise `error` (a store that went away).
    """

    def __init__(self):
        self._claims: dict[int, _Claim] = {}
        self._ids = itertools.count(1)
        self._failures: dict[str, Exception] = {}
        self._lock = threading.Lock()

    def fail_next(self, method: str, error: Exception) -> None:
        """The next call of `method` raises `error`."""
        self._failures[method] = error

    def _failing(self, method: str) -> None:
        if method in self._failures:
            raise self._failures.pop(method)

    def claim(self, key: InvoiceKey, issue_date: date, facturae_sha256: str, now: datetime,
              csv: str | None = None) -> int:
        """A new id for a free key; ClaimPending, facturaRepetida or ejercicio.diario for a held one."""
        self._failing("claim")
        with self._lock:
            for invoice_id, held in self._claims.items():
                if held.key != key:
                    continue
                if not held.registered:
                    raise ClaimPending(invoice_id, held.claimed_at)
                same_day = held.issue_date == issue_date
                raise DomainError(ErrorKey.FACTURA_REPETIDA if same_day else ErrorKey.EJERCICIO_DIARIO)
            invoice_id = next(self._ids)
            self._claims[invoice_id] = _Claim(key, issue_date, now, csv)
            return invoice_id

    def confirm(self, invoice_id: int, csv: str | None, receipt_sha256: str) -> None:
        """Mark the claim registered and file its receipt under its CSV."""
        self._failing("confirm")
        held = self._claims[invoice_id]
        held.registered, held.receipt_sha256, held.csv = True, receipt_sha256, csv or held.csv

    def is_pending(self, invoice_id: int) -> bool:
        """Whether the claim is neither confirmed nor released."""
        self._failing("is_pending")
        held = self._claims.get(invoice_id)
        return held is not None and not held.registered

    def release(self, invoice_id: int) -> None:
        """Drop a pending claim (a registered one stays)."""
        self._failing("release")
        with self._lock:
            if invoice_id in self._claims and not self._claims[invoice_id].registered:
                del self._claims[invoice_id]

    def receipt_of(self, csv: str) -> str | None:
        """The receipt's hash a registered claim files under the CSV."""
        self._failing("receipt_of")
        return next((c.receipt_sha256 for c in self._claims.values() if c.registered and c.csv == csv), None)


class MemoryBlobStore:
    """Documents in a dictionary by SHA-256; fail_next(error) makes the next put raise it."""

    def __init__(self):
        self.blobs: dict[str, bytes] = {}
        self._failures: list[Exception] = []

    def fail_next(self, error: Exception) -> None:
        """The next put raises `error` (a disk or an object store that refuses)."""
        self._failures.append(error)

    def put(self, data: bytes, name: str = "", media_type: str = "") -> DocumentRef:
        """Keep the bytes under their hash."""
        if self._failures:
            raise self._failures.pop(0)
        digest = hashlib.sha256(data).hexdigest()
        self.blobs.setdefault(digest, bytes(data))
        return DocumentRef(digest, len(data), name, media_type)

    def get(self, sha256: str) -> bytes:
        """The bytes under the hash; KeyError when absent."""
        return self.blobs[sha256]

"""A replay that folds the log's payloads straight into the projection's rows, without a domain object per event.

It follows `lifecycle.evolve` rule for rule, asking the domain's own functions (`allowed`: the transition table,
`may_cancel`, `shown_state`) on the state columns; a unit test compares it with the domain fold row by row over
logs with every event type, and the reliability run's rebuild-equals-live check compares it with a live store.
"""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from functools import lru_cache

from ventanilla.adapters.event_codec import UnknownEventType
from ventanilla.adapters.invoice_messages import state_to_pb
from ventanilla.adapters.registration_facts import Facts, upcast_v1
from ventanilla.api.v1 import events_pb2 as pb
from ventanilla.domain import events as ev
from ventanilla.domain.invoice import CancellationOutcome, State, shown_state
from ventanilla.domain.lifecycle import allowed, may_cancel
from ventanilla.domain.nif import canonical

_STATES = {state_to_pb(s): s for s in State}
_PENDING, _REJECTED, _ACCEPTED = CancellationOutcome.PENDING, CancellationOutcome.REJECTED, CancellationOutcome.ACCEPTED
_EPOCH_DAY = date(1970, 1, 1)
IDS_PER_STATEMENT = 500  # bound parameters per statement (SQLite allows 32,766 since 3.32)


class _Row:
    """An invoice's state columns and what the fold needs of its history and messages."""

    __slots__ = ("registration", "state", "remarks", "reason", "requested_at", "outcome", "history", "seen",
                 "refused", "applied", "changed")

    def __init__(self, registration: tuple | None, state: State, remarks: str = "", reason: str | None = None,
                 requested_at: str | None = None, outcome: CancellationOutcome | None = None, history: int = 0,
                 seen: set | None = None, refused: set | None = None, applied: set | None = None):
        self.registration = registration  # the insert's leading columns for an invoice new in this batch, else None
        self.state, self.remarks, self.reason, self.requested_at, self.outcome = (state, remarks, reason,
                                                                                 requested_at, outcome)
        self.history, self.changed = history, False
        self.seen, self.refused, self.applied = seen or set(), refused or set(), applied or set()

    def columns(self) -> tuple:
        """The state columns as the store writes them."""
        return (self.state.value, self.remarks, self.reason, self.requested_at,
                self.outcome.value if self.outcome is not None else None)


class RowReplay:
    """The rows one batch of raw envelopes writes, folded over the stored rows the batch touches."""

    def __init__(self) -> None:
        self._rows: dict[int, _Row] = {}
        self.history: list[tuple] = []
        self.messages: list[tuple] = []
        self.refused: list[tuple] = []

    def fold(self, db: sqlite3.Connection, values: list[bytes]) -> "RowReplay":
        """Fold the envelopes (in log order) over the rows stored for the invoices they name."""
        envelopes = [pb.EventEnvelope.FromString(v) for v in values]
        self._load(db, list({e.invoice_id for e in envelopes}))
        for envelope in envelopes:
            handler = _HANDLERS.get((envelope.type, envelope.version))
            if handler is None:
                raise UnknownEventType(f"{envelope.type} v{envelope.version}")
            handler(self, envelope, self._rows.get(envelope.invoice_id))
        return self

    def _load(self, db: sqlite3.Connection, ids: list[int]) -> None:
        for start in range(0, len(ids), IDS_PER_STATEMENT):
            chunk = ids[start:start + IDS_PER_STATEMENT]
            found = [i for i, *columns in db.execute(
                "SELECT id, processing_state, state_remarks, cancellation_reason, cancellation_requested_at,"
                f" cancellation_outcome FROM invoices WHERE id IN ({','.join('?' * len(chunk))})", chunk)
                if self._stored(i, *columns)]
            if found:
                self._load_messages(db, found)

    def _stored(self, invoice_id: int, state: str, remarks: str, reason: str | None, at: str | None,
                outcome: str | None) -> bool:
        self._rows[invoice_id] = _Row(None, State(state), remarks, reason, at,
                                      CancellationOutcome(outcome) if outcome is not None else None)
        return True

    def _load_messages(self, db: sqlite3.Connection, ids: list[int]) -> None:
        marks = ",".join("?" * len(ids))
        for i, message_id in db.execute(f"SELECT invoice_id, message_id FROM history WHERE invoice_id IN ({marks})",
                                        ids):
            row = self._rows[i]
            row.history += 1
            if message_id:
                row.applied.add(message_id)
        for i, message_id, refused in db.execute(
                f"SELECT invoice_id, message_id, refused FROM messages WHERE invoice_id IN ({marks})", ids):
            self._rows[i].seen.add(message_id)
            if refused:
                self._rows[i].refused.add(message_id)

    def _entry(self, invoice_id: int, row: _Row, state: State, remarks: str, source: str, at: str,
               message_id: str = "") -> None:
        self.history.append((invoice_id, row.history, state.value, remarks, source, at, message_id))
        row.history += 1
        row.changed = True
        if message_id:
            row.applied.add(message_id)

    def _seen(self, invoice_id: int, row: _Row, message_id: str) -> bool:
        """Record a back-office message as seen; False if it was seen before (a repeat changes nothing)."""
        if message_id in row.seen:
            return False
        row.seen.add(message_id)
        self.messages.append((invoice_id, message_id, False))
        return True

    def write(self, db: sqlite3.Connection) -> None:
        """Write every gathered row (inside the caller's transaction)."""
        rows = self._rows.items()
        db.executemany("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(*r.registration[:6], *r.columns(), *r.registration[6:]) for _, r in rows if r.registration])
        db.executemany("UPDATE invoices SET processing_state=?, state_remarks=?, cancellation_reason=?,"
                       " cancellation_requested_at=?, cancellation_outcome=? WHERE id=?",
                       [(*r.columns(), i) for i, r in rows if r.changed and not r.registration])
        db.executemany("INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?)", self.history)
        db.executemany("INSERT INTO messages VALUES (?, ?, ?)", self.messages)
        db.executemany("UPDATE messages SET refused=1 WHERE invoice_id=? AND message_id=?", self.refused)


def _at(envelope) -> str:
    return iso_text(envelope.occurred_at)


@lru_cache(maxsize=4096)
def _day(days: int) -> str:
    return (_EPOCH_DAY + timedelta(days=days)).isoformat()


def iso_text(stamp) -> str:
    """`moment(stamp).isoformat()` without building a datetime (the same text; tested on random timestamps)."""
    days, second = divmod(stamp.seconds, 86400)
    hours, second = divmod(second, 3600)
    minutes, second = divmod(second, 60)
    micros = stamp.nanos // 1000
    fraction = f".{micros:06d}" if micros else ""
    return f"{_day(days)}T{hours:02d}:{minutes:02d}:{second:02d}{fraction}+00:00"


def _registered(replay: RowReplay, envelope, row: _Row | None) -> None:
    if row is not None:
        return
    if envelope.version == 2:
        payload = envelope.payload
        facts = Facts.FromString(payload)
    else:
        facts = upcast_v1(pb.InvoiceRegistered.FromString(envelope.payload))
        payload = facts.SerializeToString()
    key, invoice_id = facts.key, envelope.invoice_id
    row = replay._rows[invoice_id] = _Row(
        (invoice_id, canonical(key.supplier_nif), key.year, key.series, key.number, payload,
         facts.submitter_nif, facts.integrator_nif), State.REGISTRADA)
    replay._entry(invoice_id, row, State.REGISTRADA, "", "registry", _at(envelope))


def _status_changed(replay: RowReplay, envelope, row: _Row | None) -> None:
    if row is None:
        return
    m = pb.StatusChanged.FromString(envelope.payload)
    message_id = m.message_id
    if message_id and message_id in row.seen:
        return
    target = _STATES[m.state]
    if allowed(row.state, row.outcome, target):
        if row.outcome is _PENDING:
            row.outcome = _REJECTED
        row.state = target
        row.remarks = remarks = m.remarks
        replay._entry(envelope.invoice_id, row, target, remarks, m.source_system, _at(envelope), message_id)
    if message_id:
        replay._seen(envelope.invoice_id, row, message_id)


def _cancellation_requested(replay: RowReplay, envelope, row: _Row | None) -> None:
    if row is None or not may_cancel(row.state, row.outcome is not None):
        return
    m = pb.CancellationRequested.FromString(envelope.payload)
    at = _at(envelope)
    row.reason, row.requested_at, row.outcome = m.reason, at, _PENDING
    replay._entry(envelope.invoice_id, row, State.ANULADA, m.reason, "supplier", at)


def _decided(outcome: CancellationOutcome):
    def apply(replay: RowReplay, envelope, row: _Row | None) -> None:
        if row is None:
            return
        m = pb.CancellationDecided.FromString(envelope.payload)
        if m.message_id and m.message_id in row.seen:
            return
        if row.outcome is _PENDING:
            row.outcome = outcome
            replay._entry(envelope.invoice_id, row, shown_state(row.state, outcome), m.reason, m.source_system,
                          _at(envelope), m.message_id)
        if m.message_id:
            replay._seen(envelope.invoice_id, row, m.message_id)
    return apply


def _report_refused(replay: RowReplay, envelope, row: _Row | None) -> None:
    if row is None:
        return
    message_id = pb.BackOfficeReportRefused.FromString(envelope.payload).message_id
    if message_id not in row.seen or message_id in row.applied or message_id in row.refused:
        return
    row.refused.add(message_id)
    replay.refused.append((envelope.invoice_id, message_id))


_HANDLERS = {
    (ev.InvoiceRegistered.TYPE, 1): _registered,
    (ev.InvoiceRegistered.TYPE, 2): _registered,
    (ev.StatusChanged.TYPE, 1): _status_changed,
    (ev.CancellationRequested.TYPE, 1): _cancellation_requested,
    (ev.CancellationRejected.TYPE, 1): _decided(_REJECTED),
    (ev.CancellationAccepted.TYPE, 1): _decided(_ACCEPTED),
    (ev.BackOfficeReportRefused.TYPE, 1): _report_refused,
}

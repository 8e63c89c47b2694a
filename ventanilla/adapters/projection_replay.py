"""A replay that folds the log's payloads straight into the projection's rows, without a domain object per event.

It follows `lifecycle.evolve` rule for rule, asking the domain's own functions (`allowed`: the transition table,
`may_cancel`, `shown_state`) — evaluated once at import over every state value into lookup tables keyed by the
columns' text — on the state columns; a unit test compares it with the domain fold row by row over logs with every
event type, and the reliability run's rebuild-equals-live check compares it with a live store.
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

_OUTCOMES = (None, *CancellationOutcome)
_PENDING, _REJECTED, _ACCEPTED = (o.value for o in (CancellationOutcome.PENDING, CancellationOutcome.REJECTED,
                                                    CancellationOutcome.ACCEPTED))
_REGISTRADA, _ANULADA = State.REGISTRADA.value, State.ANULADA.value
# (state, outcome, target as the payload's enum number) → the target's text if the table allows the move, else None
_MOVES = {(s.value, o and o.value, state_to_pb(t)): t.value if allowed(s, o, t) else None
          for s in State for o in _OUTCOMES for t in State}
_MAY_CANCEL = frozenset(s.value for s in State if may_cancel(s, False))  # with no cancellation requested yet
_SHOWN = {(s.value, o.value): shown_state(s, o).value for s in State for o in CancellationOutcome}
_EPOCH_DAY = date(1970, 1, 1)
IDS_PER_STATEMENT = 500  # bound parameters per statement (SQLite allows 32,766 since 3.32)
_canonical = lru_cache(maxsize=4096)(canonical)  # a log names few suppliers, each many times


_INVOICE_COLUMNS = ("id, supplier_nif, year, series, number, registration, submitter_nif, integrator_nif,"
                    " processing_state, state_remarks, cancellation_reason, cancellation_requested_at,"
                    " cancellation_outcome")


class _Row:
    """An invoice's state columns (as their text) and what the fold needs of its history and messages."""

    __slots__ = ("registration", "state", "remarks", "reason", "requested_at", "outcome", "history", "seen",
                 "refused", "applied", "changed")

    def __init__(self, registration: tuple | None, state: str, remarks: str = "", reason: str | None = None,
                 requested_at: str | None = None, outcome: str | None = None, history: int = 0):
        self.registration = registration  # the insert's leading columns for an invoice new in this batch, else None
        self.state, self.remarks, self.reason, self.requested_at, self.outcome = (state, remarks, reason,
                                                                                 requested_at, outcome)
        self.history, self.changed = history, False
        self.seen, self.refused, self.applied = set(), set(), set()

    def columns(self) -> tuple:
        """The state columns as the store writes them."""
        return self.state, self.remarks, self.reason, self.requested_at, self.outcome


class RowReplay:
    """The rows one batch of raw envelopes writes, folded over the stored rows the batch touches."""

    def __init__(self) -> None:
        self._rows: dict[int, _Row] = {}
        self.history: list[tuple] = []
        self.messages: list[tuple] = []
        self.refused: list[tuple] = []

    def fold(self, db: sqlite3.Connection, values: list[bytes]) -> "RowReplay":
        """Fold the envelopes (in log order) over the rows stored for the invoices they name."""
        parse = pb.EventEnvelope.FromString
        envelopes = [parse(v) for v in values]
        self._load(db, list({e.invoice_id for e in envelopes}))
        rows, handlers = self._rows, _HANDLERS
        for envelope in envelopes:
            invoice_id = envelope.invoice_id
            handler = handlers.get((envelope.type, envelope.version))
            if handler is None:
                raise UnknownEventType(f"{envelope.type} v{envelope.version}")
            handler(self, envelope, invoice_id, rows.get(invoice_id))
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
        self._rows[invoice_id] = _Row(None, state, remarks, reason, at, outcome)
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

    def _entry(self, invoice_id: int, row: _Row, state: str, remarks: str, source: str, at: str,
               message_id: str = "") -> None:
        self.history.append((invoice_id, row.history, state, remarks, source, at, message_id))
        row.history += 1
        row.changed = True
        if message_id:
            row.applied.add(message_id)

    def _seen(self, invoice_id: int, row: _Row, message_id: str) -> None:
        """Record a back-office message as seen (the caller checked it was not seen before)."""
        row.seen.add(message_id)
        self.messages.append((invoice_id, message_id, 0))

    def write(self, db: sqlite3.Connection) -> None:
        """Write every gathered row (inside the caller's transaction).

        The rows bind only int, str and bytearray values where they can: Python's sqlite3 looks for an adapter
        (two failed attribute lookups, ~1 µs) for any other value, None, bytes and bool included, so the
        registration blob is a bytearray, `refused` an int, and an invoice without a cancellation is inserted by a
        statement whose cancellation columns are NULL in its text (docs/benchmarks.md, i15-rebuild3).
        """
        rows = self._rows.items()
        new = [r for _, r in rows if r.registration]
        db.executemany(f"INSERT INTO invoices ({_INVOICE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL,"
                       " NULL)", [r.registration + (r.state, r.remarks) for r in new if r.outcome is None
                                  and r.reason is None and r.requested_at is None])
        db.executemany(f"INSERT INTO invoices ({_INVOICE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [r.registration + r.columns() for r in new if r.outcome is not None
                        or r.reason is not None or r.requested_at is not None])
        db.executemany("UPDATE invoices SET processing_state=?, state_remarks=?, cancellation_reason=?,"
                       " cancellation_requested_at=?, cancellation_outcome=? WHERE id=?",
                       [(*r.columns(), i) for i, r in rows if r.changed and not r.registration])
        db.executemany("INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?)", self.history)
        db.executemany("INSERT INTO messages VALUES (?, ?, ?)", self.messages)
        db.executemany("UPDATE messages SET refused=1 WHERE invoice_id=? AND message_id=?", self.refused)


@lru_cache(maxsize=4096)
def _minute(minutes: int) -> str:
    """'YYYY-MM-DDTHH:MM:' of a minute since the epoch (a log's events crowd into few minutes)."""
    days, minute = divmod(minutes, 1440)
    hours, minute = divmod(minute, 60)
    return f"{(_EPOCH_DAY + timedelta(days=days)).isoformat()}T{hours:02d}:{minute:02d}:"


def iso_text(stamp) -> str:
    """`moment(stamp).isoformat()` without building a datetime (the same text; tested on random timestamps)."""
    minutes, second = divmod(stamp.seconds, 60)
    micros = stamp.nanos // 1000
    if micros:
        return f"{_minute(minutes)}{second:02d}.{micros:06d}+00:00"
    return f"{_minute(minutes)}{second:02d}+00:00"


def _registered(replay: RowReplay, envelope, invoice_id: int, row: _Row | None) -> None:
    if row is not None:
        return
    if envelope.version == 2:
        payload = envelope.payload
        facts = Facts.FromString(payload)
    else:
        facts = upcast_v1(pb.InvoiceRegistered.FromString(envelope.payload))
        payload = facts.SerializeToString()
    key = facts.key
    row = replay._rows[invoice_id] = _Row(  # a bytearray is bound as the blob with no adapter lookup (`write`)
        (invoice_id, _canonical(key.supplier_nif), key.year, key.series, key.number, bytearray(payload),
         facts.submitter_nif, facts.integrator_nif), _REGISTRADA)
    replay.history.append((invoice_id, 0, _REGISTRADA, "", "registry", iso_text(envelope.occurred_at), ""))
    row.history = 1


def _status_changed(replay: RowReplay, envelope, invoice_id: int, row: _Row | None,
                    parse=pb.StatusChanged.FromString) -> None:
    """The commonest event, so `_entry` and `_seen` are written out here."""
    if row is None:
        return
    m = parse(envelope.payload)
    message_id = m.message_id
    if message_id and message_id in row.seen:
        return
    target = _MOVES[row.state, row.outcome, m.state]
    if target is not None:
        if row.outcome == _PENDING:
            row.outcome = _REJECTED
        row.state = target
        row.remarks = remarks = m.remarks
        replay.history.append((invoice_id, row.history, target, remarks, m.source_system,
                               iso_text(envelope.occurred_at), message_id))
        row.history += 1
        row.changed = True
        if message_id:
            row.applied.add(message_id)
    if message_id:
        row.seen.add(message_id)
        replay.messages.append((invoice_id, message_id, 0))


def _cancellation_requested(replay: RowReplay, envelope, invoice_id: int, row: _Row | None) -> None:
    if row is None or row.outcome is not None or row.state not in _MAY_CANCEL:
        return
    m = pb.CancellationRequested.FromString(envelope.payload)
    at = iso_text(envelope.occurred_at)
    row.reason, row.requested_at, row.outcome = m.reason, at, _PENDING
    replay._entry(invoice_id, row, _ANULADA, m.reason, "supplier", at)


def _decided(outcome: str):
    def apply(replay: RowReplay, envelope, invoice_id: int, row: _Row | None) -> None:
        if row is None:
            return
        m = pb.CancellationDecided.FromString(envelope.payload)
        message_id = m.message_id
        if message_id and message_id in row.seen:
            return
        if row.outcome == _PENDING:
            row.outcome = outcome
            replay._entry(invoice_id, row, _SHOWN[row.state, outcome], m.reason, m.source_system,
                          iso_text(envelope.occurred_at), message_id)
        if message_id:
            replay._seen(invoice_id, row, message_id)
    return apply


def _report_refused(replay: RowReplay, envelope, invoice_id: int, row: _Row | None) -> None:
    if row is None:
        return
    message_id = pb.BackOfficeReportRefused.FromString(envelope.payload).message_id
    if message_id not in row.seen or message_id in row.applied or message_id in row.refused:
        return
    row.refused.add(message_id)
    replay.refused.append((invoice_id, message_id))


_HANDLERS = {
    (ev.InvoiceRegistered.TYPE, 1): _registered,
    (ev.InvoiceRegistered.TYPE, 2): _registered,
    (ev.StatusChanged.TYPE, 1): _status_changed,
    (ev.CancellationRequested.TYPE, 1): _cancellation_requested,
    (ev.CancellationRejected.TYPE, 1): _decided(_REJECTED),
    (ev.CancellationAccepted.TYPE, 1): _decided(_ACCEPTED),
    (ev.BackOfficeReportRefused.TYPE, 1): _report_refused,
}

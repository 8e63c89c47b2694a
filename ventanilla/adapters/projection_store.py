"""The invoice read model in SQLite; events are applied with their log offsets in the same transaction."""
from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ventanilla.adapters.invoice_messages import registration_from_pb, registration_to_pb
from ventanilla.api.v1 import invoice_pb2
from ventanilla.domain.events import InvoiceEvent
from ventanilla.domain.invoice import (Cancellation, CancellationOutcome, HistoryEntry, Invoice, InvoiceKey,
                                      InvoiceStatus, State)
from ventanilla.domain.lifecycle import evolve

SCHEMA_VERSION = 5  # 3: the key columns hold the NIF's canonical form; 4: refused back-office messages;
# 5: submitter_nif and the channel's integrator_nif, so that state queries read neither the registration blob nor
# its conversion
_SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (
    id INTEGER PRIMARY KEY,
    supplier_nif TEXT NOT NULL, year INTEGER NOT NULL, series TEXT NOT NULL, number TEXT NOT NULL,
    registration BLOB NOT NULL,
    processing_state TEXT NOT NULL, state_remarks TEXT NOT NULL,
    cancellation_reason TEXT, cancellation_requested_at TEXT, cancellation_outcome TEXT,
    submitter_nif TEXT NOT NULL, integrator_nif TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS invoices_by_key ON invoices (supplier_nif, year, series, number);
CREATE TABLE IF NOT EXISTS history (
    invoice_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    state TEXT NOT NULL, remarks TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL, message_id TEXT NOT NULL,
    PRIMARY KEY (invoice_id, seq)
);
CREATE TABLE IF NOT EXISTS messages (
    invoice_id INTEGER NOT NULL, message_id TEXT NOT NULL, refused INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (invoice_id, message_id)
);
CREATE TABLE IF NOT EXISTS positions (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);
"""

_IDS_PER_STATEMENT = 500  # bound parameters per statement (SQLite allows 32,766 since 3.32)


class ProjectionStore:
    """Invoices as of the log positions recorded beside them."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._local = threading.local()
        db = self._db()
        db.execute("PRAGMA journal_mode=WAL")
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            # A read model of an older shape is derived data: drop it, the projector replays the log.
            db.executescript("DROP TABLE IF EXISTS invoices; DROP TABLE IF EXISTS history;"
                             " DROP TABLE IF EXISTS messages; DROP TABLE IF EXISTS positions;")
            db.executescript(_SCHEMA + f"PRAGMA user_version={SCHEMA_VERSION};")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: an application crash loses nothing committed
            self._local.db = db
        return db

    def close(self) -> None:
        """Close this thread's connection (the last close checkpoints and removes the WAL)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def positions(self, topic: str) -> dict[int, int]:
        """The next offset to read, per partition of a topic."""
        rows = self._db().execute("SELECT partition, next_offset FROM positions WHERE topic=?", (topic,))
        return dict(rows.fetchall())

    def apply(self, event: InvoiceEvent, topic: str, partition: int, offset: int) -> bool:
        """Fold one event into the read model, once: a redelivered offset changes nothing."""
        return self.apply_many([(event, topic, partition, offset)]) == 1

    def apply_many(self, records: Iterable[tuple[InvoiceEvent, str, int, int]]) -> int:
        """Fold records (event, topic, partition, offset) in one transaction with their positions; how many were new."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            positions = {(t, p): o for t, p, o in db.execute("SELECT topic, partition, next_offset FROM positions")}
            known = dict(positions)
            touched: dict[int, tuple[Invoice | None, Invoice | None]] = {}
            new = 0
            for event, topic, partition, offset in records:
                if offset < positions.get((topic, partition), 0):
                    continue
                loaded, current = touched.get(event.invoice_id) or (self._load(db, event.invoice_id),) * 2
                touched[event.invoice_id] = (loaded, evolve(current, event))
                positions[(topic, partition)] = offset + 1
                new += 1
            for loaded, after in touched.values():
                if after is not None and after is not loaded:
                    self._save(db, after, loaded)
            moved = [(t, p, o) for (t, p), o in positions.items() if known.get((t, p)) != o]
            db.executemany(
                "INSERT INTO positions (topic, partition, next_offset) VALUES (?, ?, ?)"
                " ON CONFLICT (topic, partition) DO UPDATE SET next_offset=excluded.next_offset", moved)
            db.execute("COMMIT")
            return new
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def load(self, invoice_id: int, with_history: bool = True) -> Invoice | None:
        """The invoice with this id, or None; without history, its history and seen messages are left empty.

        Answers to consultas need no history: skipping it saves two queries per invoice (500 per group).
        Anything that decides or folds must load the whole invoice.
        """
        return self._load(self._db(), invoice_id, with_history)

    def statuses(self, ids: list[int]) -> dict[int, InvoiceStatus]:
        """The status of each invoice of `ids` that exists, by id (a few statements for any number of ids)."""
        db, found = self._db(), {}
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            chunk = ids[start:start + _IDS_PER_STATEMENT]
            rows = db.execute(
                "SELECT id, supplier_nif, submitter_nif, processing_state, state_remarks, cancellation_outcome,"
                " integrator_nif"
                f" FROM invoices WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            for i, supplier, submitter, state, remarks, outcome, integrator in rows:
                found[i] = InvoiceStatus(i, supplier, submitter, State(state), remarks,
                                         CancellationOutcome(outcome) if outcome is not None else None, integrator)
        return found

    def find(self, key: InvoiceKey, with_history: bool = True) -> Invoice | None:
        """The invoice with this business key (any spelling of the NIF), or None (history as in `load`)."""
        key = key.canonical()
        row = self._db().execute(
            "SELECT id FROM invoices WHERE supplier_nif=? AND year=? AND series=? AND number=?",
            (key.supplier_nif, key.year, key.series, key.number),
        ).fetchone()
        return self.load(row[0], with_history) if row else None

    def _load(self, db: sqlite3.Connection, invoice_id: int, with_history: bool = True) -> Invoice | None:
        row = db.execute(
            "SELECT registration, processing_state, state_remarks, cancellation_reason,"
            " cancellation_requested_at, cancellation_outcome FROM invoices WHERE id=?",
            (invoice_id,),
        ).fetchone()
        if row is None:
            return None
        registration = registration_from_pb(invoice_pb2.Invoice.FromString(row[0]))
        cancellation = None
        if row[3] is not None:
            cancellation = Cancellation(row[3], datetime.fromisoformat(row[4]), CancellationOutcome(row[5]))
        if not with_history:
            return Invoice(registration, State(row[1]), row[2], cancellation)
        history = tuple(
            HistoryEntry(State(s), r, src, datetime.fromisoformat(at), m)
            for s, r, src, at, m in db.execute(
                "SELECT state, remarks, source, at, message_id FROM history WHERE invoice_id=? ORDER BY seq",
                (invoice_id,),
            )
        )
        messages = db.execute("SELECT message_id, refused FROM messages WHERE invoice_id=?", (invoice_id,)).fetchall()
        seen, refused = frozenset(m for m, _ in messages), frozenset(m for m, r in messages if r)
        return Invoice(registration, State(row[1]), row[2], cancellation, history, seen, refused)

    def _save(self, db: sqlite3.Connection, invoice: Invoice, before: Invoice | None) -> None:
        reg, cancellation = invoice.registration, invoice.cancellation
        state = (invoice.processing_state.value, invoice.state_remarks,
                 cancellation.reason if cancellation else None,
                 cancellation.requested_at.isoformat() if cancellation else None,
                 cancellation.outcome.value if cancellation else None)
        if before is None:
            key = reg.key.canonical()
            db.execute("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (reg.id, key.supplier_nif, key.year, key.series, key.number,
                        registration_to_pb(reg).SerializeToString(), *state, reg.submitter_nif,
                        reg.channel.integrator_nif if reg.channel is not None else ""))
        else:  # the registration never changes: only the state columns are written again
            db.execute("UPDATE invoices SET processing_state=?, state_remarks=?, cancellation_reason=?,"
                       " cancellation_requested_at=?, cancellation_outcome=? WHERE id=?", (*state, reg.id))
        known_history = len(before.history) if before else 0
        db.executemany(
            "INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (reg.id, seq, e.state.value, e.remarks, e.source, e.at.isoformat(), e.message_id)
                for seq, e in enumerate(invoice.history)
                if seq >= known_history
            ],
        )
        seen_before = before.seen_messages if before else frozenset()
        refused_before = before.refused_messages if before else frozenset()
        db.executemany("INSERT INTO messages VALUES (?, ?, ?)",
                       [(reg.id, m, m in invoice.refused_messages) for m in sorted(invoice.seen_messages - seen_before)])
        db.executemany("UPDATE messages SET refused=1 WHERE invoice_id=? AND message_id=?",
                       [(reg.id, m) for m in sorted(invoice.refused_messages - refused_before)])

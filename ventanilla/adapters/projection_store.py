"""The invoice read model in SQLite; each event is applied with its log offset in one transaction."""
from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path

from ventanilla.adapters.invoice_messages import registration_from_pb, registration_to_pb
from ventanilla.api.v1 import invoice_pb2
from ventanilla.domain.events import InvoiceEvent
from ventanilla.domain.invoice import Cancellation, CancellationOutcome, HistoryEntry, Invoice, InvoiceKey, State
from ventanilla.domain.lifecycle import evolve

_SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (
    id INTEGER PRIMARY KEY,
    supplier_nif TEXT NOT NULL, year INTEGER NOT NULL, series TEXT NOT NULL, number TEXT NOT NULL,
    registration BLOB NOT NULL,
    processing_state TEXT NOT NULL, state_remarks TEXT NOT NULL,
    cancellation_reason TEXT, cancellation_requested_at TEXT, cancellation_outcome TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS invoices_by_key ON invoices (supplier_nif, year, series, number);
CREATE TABLE IF NOT EXISTS history (
    invoice_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    state TEXT NOT NULL, remarks TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (invoice_id, seq)
);
CREATE TABLE IF NOT EXISTS positions (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);
"""


class ProjectionStore:
    """Invoices as of the log positions recorded beside them."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._local = threading.local()
        db = self._db()
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
            self._local.db = db
        return db

    def positions(self, topic: str) -> dict[int, int]:
        """The next offset to read, per partition of a topic."""
        rows = self._db().execute("SELECT partition, next_offset FROM positions WHERE topic=?", (topic,))
        return dict(rows.fetchall())

    def apply(self, event: InvoiceEvent, topic: str, partition: int, offset: int) -> bool:
        """Fold one event into the read model, once: a redelivered offset changes nothing."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                "SELECT next_offset FROM positions WHERE topic=? AND partition=?", (topic, partition)
            ).fetchone()
            if row is not None and offset < row[0]:
                db.execute("ROLLBACK")
                return False
            before = self._load(db, event.invoice_id)
            after = evolve(before, event)
            if after is not None and after is not before:
                self._save(db, after, len(before.history) if before else 0)
            db.execute(
                "INSERT INTO positions (topic, partition, next_offset) VALUES (?, ?, ?)"
                " ON CONFLICT (topic, partition) DO UPDATE SET next_offset=excluded.next_offset",
                (topic, partition, offset + 1),
            )
            db.execute("COMMIT")
            return True
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def load(self, invoice_id: int) -> Invoice | None:
        """The invoice with this id, or None."""
        return self._load(self._db(), invoice_id)

    def find(self, key: InvoiceKey) -> Invoice | None:
        """The invoice with this business key, or None."""
        row = self._db().execute(
            "SELECT id FROM invoices WHERE supplier_nif=? AND year=? AND series=? AND number=?",
            (key.supplier_nif, key.year, key.series, key.number),
        ).fetchone()
        return self.load(row[0]) if row else None

    def _load(self, db: sqlite3.Connection, invoice_id: int) -> Invoice | None:
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
        history = tuple(
            HistoryEntry(State(s), r, src, datetime.fromisoformat(at))
            for s, r, src, at in db.execute(
                "SELECT state, remarks, source, at FROM history WHERE invoice_id=? ORDER BY seq", (invoice_id,)
            )
        )
        return Invoice(registration, State(row[1]), row[2], cancellation, history)

    def _save(self, db: sqlite3.Connection, invoice: Invoice, known_history: int) -> None:
        reg, cancellation = invoice.registration, invoice.cancellation
        db.execute(
            "INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " processing_state=excluded.processing_state, state_remarks=excluded.state_remarks,"
            " cancellation_reason=excluded.cancellation_reason,"
            " cancellation_requested_at=excluded.cancellation_requested_at,"
            " cancellation_outcome=excluded.cancellation_outcome",
            (
                reg.id, reg.key.supplier_nif, reg.key.year, reg.key.series, reg.key.number,
                registration_to_pb(reg).SerializeToString(),
                invoice.processing_state.value, invoice.state_remarks,
                cancellation.reason if cancellation else None,
                cancellation.requested_at.isoformat() if cancellation else None,
                cancellation.outcome.value if cancellation else None,
            ),
        )
        db.executemany(
            "INSERT INTO history VALUES (?, ?, ?, ?, ?, ?)",
            [
                (reg.id, seq, e.state.value, e.remarks, e.source, e.at.isoformat())
                for seq, e in enumerate(invoice.history)
                if seq >= known_history
            ],
        )

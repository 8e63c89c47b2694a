"""The invoice read model in SQLite; events are applied with their log offsets in the same transaction."""
from __future__ import annotations

import sqlite3
import threading
from bisect import bisect_left
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ventanilla.adapters.event_codec import Decoded
from ventanilla.adapters.projection_replay import IDS_PER_STATEMENT, RowReplay
from ventanilla.adapters.projection_rows import BatchRows
from ventanilla.adapters.invoice_messages import registration_from_pb
from ventanilla.adapters.registration_facts import Facts
from ventanilla.domain.events import InvoiceEvent, InvoiceRegistered
from ventanilla.domain.invoice import (Cancellation, CancellationOutcome, HistoryEntry, Invoice, InvoiceKey,
                                      InvoiceStatus, State)
from ventanilla.domain.lifecycle import evolve

SCHEMA_VERSION = 6  # 3: the key columns hold the NIF's canonical form; 4: refused back-office messages;
# 5: submitter_nif and the channel's integrator_nif, so that state queries read neither the registration blob nor
# its conversion; 6: the registration blob is the log's v2 facts payload (InvoiceRegisteredV2), kept as read
_SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (
    id INTEGER PRIMARY KEY,
    supplier_nif TEXT NOT NULL, year INTEGER NOT NULL, series TEXT NOT NULL, number TEXT NOT NULL,
    registration BLOB NOT NULL,
    processing_state TEXT NOT NULL, state_remarks TEXT NOT NULL,
    cancellation_reason TEXT, cancellation_requested_at TEXT, cancellation_outcome TEXT,
    submitter_nif TEXT NOT NULL, integrator_nif TEXT NOT NULL
);
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
# Secondary indexes: a bulk fill creates them once at the end (`seal`) instead of row by row.
_INDEXES = "CREATE UNIQUE INDEX IF NOT EXISTS invoices_by_key ON invoices (supplier_nif, year, series, number);"
# A bulk fill's file: no rollback journal, no sync per commit, one lock held throughout, sorts for `seal` in memory.
# SQLite's default page cache (2 MB): a 64 MB one cost the writer 65 MB of RSS for no measurable speed
# (docs/benchmarks.md, "The rebuild writer's page cache").
_BULK_PRAGMAS = ("PRAGMA journal_mode=OFF", "PRAGMA locking_mode=EXCLUSIVE", "PRAGMA temp_store=MEMORY")


def _past(records: Iterable[tuple]):
    """A picker of the records (item, topic, partition, offset) at or past the positions it is given (moved)."""
    def pick(positions: dict) -> list:
        fresh = []
        for item, topic, partition, offset in records:
            if offset < positions.get((topic, partition), 0):
                continue
            fresh.append(item)
            positions[(topic, partition)] = offset + 1
        return fresh
    return pick


def _replay(db: sqlite3.Connection, values: list[bytes]) -> RowReplay:
    return RowReplay().fold(db, values)


class ProjectionStore:
    """Invoices as of the log positions recorded beside them."""

    def __init__(self, path: Path, bulk: bool = False):
        """bulk: a fresh file filled offline by one connection and made durable by its filler
        (`projection_rebuild`): no journal, no sync per commit (`_BULK_PRAGMAS`), and neither the key index nor the
        schema version until `seal`, so that a file whose fill did not finish is never taken for a projection (it is
        dropped like an older shape when opened). The live store keeps WAL with synchronous=NORMAL."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._local = threading.local()
        self._synchronous = "OFF" if bulk else "NORMAL"
        db = self._db()
        for pragma in _BULK_PRAGMAS if bulk else ("PRAGMA journal_mode=WAL",):
            db.execute(pragma)
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            # A read model of an older shape is derived data: drop it, the projector replays the log.
            db.executescript("DROP TABLE IF EXISTS invoices; DROP TABLE IF EXISTS history;"
                             " DROP TABLE IF EXISTS messages; DROP TABLE IF EXISTS positions;")
            db.executescript(_SCHEMA if bulk else _SCHEMA + _INDEXES + f"PRAGMA user_version={SCHEMA_VERSION};")

    def seal(self) -> None:
        """End a bulk fill: create the secondary indexes (sqlite3.IntegrityError if two invoices share a key, as
        the index kept row by row refuses the second) and write the schema version, in one transaction."""
        self._db().executescript(f"BEGIN IMMEDIATE; {_INDEXES} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute(f"PRAGMA synchronous={self._synchronous}")  # WAL+NORMAL: an application crash loses nothing
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

    def apply_many(self, records: Iterable[tuple[InvoiceEvent | Decoded, str, int, int]]) -> int:
        """Fold records (event, topic, partition, offset) in one transaction with their positions; how many were new.

        An event may come as `Decoded` (event and its registration payload as read), so that the registration is
        stored without being encoded again.
        """
        return self._applying(_past(records), lambda db, items: self._fold(
            db, [item if isinstance(item, Decoded) else Decoded(item, None) for item in items]))

    def replay_many(self, records: Iterable[tuple[bytes, str, int, int]]) -> int:
        """As `apply_many` for records (envelope bytes, topic, partition, offset), folded from their payloads into
        the rows (`projection_replay`: no domain object per event); how many were new."""
        return self._applying(_past(records), _replay)

    def replay_run(self, topic: str, partition: int, offsets: list[int], values: list[bytes]) -> int:
        """As `replay_many` for envelopes of one partition in offset order (what a reader process sends, as
        columns): the ones below the stored position are skipped by one bisection, not one test per record."""
        def past(positions: dict) -> list[bytes]:
            skip = bisect_left(offsets, positions.get((topic, partition), 0))
            if skip < len(offsets):
                positions[(topic, partition)] = offsets[-1] + 1
            return values[skip:]
        return self._applying(past, _replay)

    def _applying(self, past, fold) -> int:
        """One transaction: fold the records past the stored positions (`past` picks them and moves the positions
        it is given), write their rows and the new positions."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            positions = {(t, p): o for t, p, o in db.execute("SELECT topic, partition, next_offset FROM positions")}
            known = dict(positions)
            fresh = past(positions)
            fold(db, fresh).write(db)
            moved = [(t, p, o) for (t, p), o in positions.items() if known.get((t, p)) != o]
            db.executemany(
                "INSERT INTO positions (topic, partition, next_offset) VALUES (?, ?, ?)"
                " ON CONFLICT (topic, partition) DO UPDATE SET next_offset=excluded.next_offset", moved)
            db.execute("COMMIT")
            return len(fresh)
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _fold(self, db: sqlite3.Connection, decoded: list[Decoded]) -> BatchRows:
        """The rows that fold these events into the stored invoices (each stored invoice loaded once)."""
        stored = self._stored_ids(db, list({d.event.invoice_id for d in decoded}))
        touched: dict[int, tuple[Invoice | None, Invoice | None]] = {}
        facts: dict[int, bytes] = {}
        for event, payload in decoded:
            invoice_id = event.invoice_id
            if invoice_id in touched:
                loaded, current = touched[invoice_id]
            else:
                loaded = current = self._load(db, invoice_id) if invoice_id in stored else None
            if current is None and payload is not None and isinstance(event, InvoiceRegistered):
                facts[invoice_id] = payload
            touched[invoice_id] = (loaded, evolve(current, event))
        rows = BatchRows()
        for invoice_id, (loaded, after) in touched.items():
            if after is not None and after is not loaded:
                rows.add(after, loaded, facts.get(invoice_id))
        return rows

    @staticmethod
    def _stored_ids(db: sqlite3.Connection, ids: list[int]) -> set[int]:
        found: set[int] = set()
        for start in range(0, len(ids), IDS_PER_STATEMENT):
            chunk = ids[start:start + IDS_PER_STATEMENT]
            found.update(i for i, in db.execute(
                f"SELECT id FROM invoices WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def load(self, invoice_id: int, with_history: bool = True) -> Invoice | None:
        """The invoice with this id, or None; without history, its history and seen messages are left empty.

        Answers to consultas need no history: skipping it saves two queries per invoice (500 per group).
        Anything that decides or folds must load the whole invoice.
        """
        return self._load(self._db(), invoice_id, with_history)

    def statuses(self, ids: list[int]) -> dict[int, InvoiceStatus]:
        """The status of each invoice of `ids` that exists, by id (a few statements for any number of ids)."""
        db, found = self._db(), {}
        for start in range(0, len(ids), IDS_PER_STATEMENT):
            chunk = ids[start:start + IDS_PER_STATEMENT]
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
        registration = registration_from_pb(Facts.FromString(row[0]), invoice_id)
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

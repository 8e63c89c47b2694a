"""Business-key claims in SQL with a unique constraint; the claim row's id is the invoice id."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, datetime, timezone
from pathlib import Path
from typing import NamedTuple

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import InvoiceKey
from ventanilla.ports import IN_PROGRESS, ClaimPending  # noqa: F401 - the Claims port's refusal, raised here

_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    supplier_nif TEXT NOT NULL,
    year INTEGER NOT NULL,
    series TEXT NOT NULL,
    number TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    facturae_sha256 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'REGISTERED')),
    claimed_at TEXT NOT NULL,
    csv TEXT UNIQUE,
    receipt_sha256 TEXT,
    UNIQUE (supplier_nif, year, series, number)
);
"""
_ADDED_COLUMNS = {"csv": "TEXT", "receipt_sha256": "TEXT"}  # stores created before receipts had a CSV
# How far the log has been read into this store (registry_service/recovery.py): a restored store knows
# where to catch up from, so no id or key registered after its backup is handed out again.
_CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS log_checkpoints (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition)
);
"""


class RestoredClaim(NamedTuple):
    """A registration read back from the log, as a claim."""

    invoice_id: int
    key: InvoiceKey
    issue_date: date
    facturae_sha256: str
    claimed_at: datetime
    csv: str | None
    receipt_sha256: str


def _utc(moment: datetime) -> str:
    """A sortable text form of an aware instant."""
    return moment.astimezone(timezone.utc).isoformat()


class SqliteClaims:
    """Claims on a SQLite file shared by the registry replicas of one host (WAL, immediate locks)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            present = {row[1] for row in db.execute("PRAGMA table_info(claims)")}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in present:
                    db.execute(f"ALTER TABLE claims ADD COLUMN {column} {kind}")
            db.execute("CREATE UNIQUE INDEX IF NOT EXISTS claims_csv ON claims (csv)")
            db.executescript(_CHECKPOINTS)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")
        return db

    def claim(self, key: InvoiceKey, issue_date: date, facturae_sha256: str, now: datetime,
              csv: str | None = None) -> int:
        """Reserve the business key (with the receipt's future CSV) and return a new invoice id; refuse a key held."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT issue_date, status, id, claimed_at FROM claims"
                " WHERE supplier_nif=? AND year=? AND series=? AND number=?",
                (key.supplier_nif, key.year, key.series, key.number),
            ).fetchone()
            if row is not None:
                db.execute("ROLLBACK")
                if row[1] == "PENDING":
                    raise ClaimPending(int(row[2]), datetime.fromisoformat(row[3]))
                same_day = row[0] == issue_date.isoformat()
                raise DomainError(ErrorKey.FACTURA_REPETIDA if same_day else ErrorKey.EJERCICIO_DIARIO)
            cursor = db.execute(
                "INSERT INTO claims (supplier_nif, year, series, number, issue_date, facturae_sha256,"
                " status, claimed_at, csv) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', ?, ?)",
                (key.supplier_nif, key.year, key.series, key.number, issue_date.isoformat(),
                 facturae_sha256, _utc(now), csv),
            )
            db.execute("COMMIT")
            return int(cursor.lastrowid)
        finally:
            db.close()

    def confirm(self, invoice_id: int, csv: str | None, receipt_sha256: str) -> None:
        """Mark a claim as registered (its event is in the log) and file its receipt under its CSV."""
        with closing(self._connect()) as db:
            db.execute("UPDATE claims SET status='REGISTERED', csv=COALESCE(?, csv), receipt_sha256=? WHERE id=?",
                       (csv, receipt_sha256, invoice_id))

    def is_pending(self, invoice_id: int) -> bool:
        """Whether a claim is still pending (neither confirmed nor released)."""
        with closing(self._connect()) as db:
            return db.execute("SELECT 1 FROM claims WHERE id=? AND status='PENDING'", (invoice_id,)).fetchone() is not None

    def receipt_of(self, csv: str) -> str | None:
        """The SHA-256 of the receipt a CSV designates, None when no registration has it."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT receipt_sha256 FROM claims WHERE csv=? AND status='REGISTERED'", (csv,)).fetchone()
        return row[0] if row else None

    def release(self, invoice_id: int) -> None:
        """Drop a pending claim whose registration failed, so a retry can succeed."""
        with closing(self._connect()) as db:
            db.execute("DELETE FROM claims WHERE id=? AND status='PENDING'", (invoice_id,))

    def known(self, invoice_ids: list[int]) -> set[int]:
        """Those of the ids this store holds a claim for."""
        with closing(self._connect()) as db:
            marks = ",".join("?" * len(invoice_ids))
            return {row[0] for row in db.execute(f"SELECT id FROM claims WHERE id IN ({marks})", invoice_ids)}

    def restore(self, claims: list[RestoredClaim]) -> int:
        """Record registrations read from the log (REGISTERED, under their ids) in one transaction; how many
        were new. A pending claim among them becomes registered; an id or key held already is left as it is."""
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            new = 0
            for c in claims:
                db.execute("UPDATE claims SET status='REGISTERED', csv=COALESCE(csv, ?), receipt_sha256=? "
                           "WHERE id=? AND status='PENDING'", (c.csv, c.receipt_sha256, c.invoice_id))
                new += db.execute(
                    "INSERT OR IGNORE INTO claims (id, supplier_nif, year, series, number, issue_date,"
                    " facturae_sha256, status, claimed_at, csv, receipt_sha256)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'REGISTERED', ?, ?, ?)",
                    (c.invoice_id, c.key.supplier_nif, c.key.year, c.key.series, c.key.number,
                     c.issue_date.isoformat(), c.facturae_sha256, _utc(c.claimed_at), c.csv, c.receipt_sha256),
                ).rowcount
            db.execute("COMMIT")  # AUTOINCREMENT: later ids are above every id ever inserted, restored ones too
        return new

    def log_checkpoint(self, topic: str) -> dict[int, int]:
        """Partition -> next offset of the log already read into this store."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT partition, next_offset FROM log_checkpoints WHERE topic=?", (topic,))
            return {int(p): int(o) for p, o in rows}

    def save_log_checkpoint(self, topic: str, offsets: dict[int, int]) -> None:
        """Remember how far the log has been read into this store (never backwards)."""
        with closing(self._connect()) as db:
            db.executemany("INSERT INTO log_checkpoints VALUES (?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE"
                           " SET next_offset=MAX(next_offset, excluded.next_offset)",
                           [(topic, p, o) for p, o in offsets.items()])

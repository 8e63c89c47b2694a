"""Business-key claims in SQL with a unique constraint; the claim row's id is the invoice id."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, datetime, timezone
from pathlib import Path

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import InvoiceKey

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
IN_PROGRESS = ("Esta factura se está registrando en otra presentación todavía sin concluir; "
               "vuelva a enviarla en unos segundos.")


class ClaimPending(DomainError):
    """The key is held by a registration still in progress (or whose outcome is not known yet): try later.

    Never facturaRepetida: that answer means "registered, and you can query it".
    """

    def __init__(self, invoice_id: int, claimed_at: datetime):
        super().__init__(ErrorKey.REGISTRO, IN_PROGRESS)
        self.invoice_id, self.claimed_at = invoice_id, claimed_at


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

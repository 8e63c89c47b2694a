"""Business-key claims in PostgreSQL, shared by registry replicas on any number of hosts."""
from __future__ import annotations

import threading
from datetime import date, datetime

import psycopg

from ventanilla.adapters.claims import ClaimPending, RestoredClaim
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import InvoiceKey

_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier_nif TEXT NOT NULL,
    year INTEGER NOT NULL,
    series TEXT NOT NULL,
    number TEXT NOT NULL,
    issue_date DATE NOT NULL,
    facturae_sha256 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'REGISTERED')),
    claimed_at TIMESTAMPTZ NOT NULL,
    csv TEXT UNIQUE,
    receipt_sha256 TEXT,
    UNIQUE (supplier_nif, year, series, number)
)
"""
_CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS log_checkpoints (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset BIGINT NOT NULL, PRIMARY KEY (topic, partition)
)
"""
_KEY = "supplier_nif=%s AND year=%s AND series=%s AND number=%s"


class PostgresClaims:
    """The SqliteClaims contract on PostgreSQL: a unique constraint decides, an identity gives the id."""

    def __init__(self, dsn: str):
        self._dsn = dsn
        self._local = threading.local()
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute("SELECT pg_advisory_lock(4242)")  # replicas starting together create the table once
            db.execute(_SCHEMA)
            db.execute(_CHECKPOINTS)
            db.execute("SELECT pg_advisory_unlock(4242)")

    def _db(self) -> psycopg.Connection:
        db = getattr(self._local, "db", None)
        if db is None or db.closed:
            db = self._local.db = psycopg.connect(self._dsn, autocommit=True)
        return db

    def claim(self, key: InvoiceKey, issue_date: date, facturae_sha256: str, now: datetime,
              csv: str | None = None) -> int:
        """Reserve the business key (with the receipt's future CSV) and return a new invoice id; refuse a key held."""
        values = (key.supplier_nif, key.year, key.series, key.number)
        while True:
            row = self._db().execute(
                "INSERT INTO claims (supplier_nif, year, series, number, issue_date, facturae_sha256, status,"
                " claimed_at, csv) VALUES (%s, %s, %s, %s, %s, %s, 'PENDING', %s, %s)"
                " ON CONFLICT (supplier_nif, year, series, number) DO NOTHING RETURNING id",
                (*values, issue_date, facturae_sha256, now, csv)).fetchone()
            if row is not None:
                return int(row[0])
            held = self._db().execute(f"SELECT issue_date, status, id, claimed_at FROM claims WHERE {_KEY}",
                                      values).fetchone()
            if held is not None and held[1] == "PENDING":
                raise ClaimPending(int(held[2]), held[3])
            if held is not None:  # else the holder was released in between: try again
                raise DomainError(ErrorKey.FACTURA_REPETIDA if held[0] == issue_date else ErrorKey.EJERCICIO_DIARIO)

    def confirm(self, invoice_id: int, csv: str | None, receipt_sha256: str) -> None:
        """Mark a claim as registered (its event is in the log) and file its receipt under its CSV."""
        self._db().execute("UPDATE claims SET status='REGISTERED', csv=COALESCE(%s, csv), receipt_sha256=%s"
                           " WHERE id=%s", (csv, receipt_sha256, invoice_id))

    def is_pending(self, invoice_id: int) -> bool:
        """Whether a claim is still pending (neither confirmed nor released)."""
        return self._db().execute("SELECT 1 FROM claims WHERE id=%s AND status='PENDING'",
                                  (invoice_id,)).fetchone() is not None

    def release(self, invoice_id: int) -> None:
        """Drop a pending claim whose registration failed, so a retry can succeed."""
        self._db().execute("DELETE FROM claims WHERE id=%s AND status='PENDING'", (invoice_id,))

    def receipt_of(self, csv: str) -> str | None:
        """The SHA-256 of the receipt a CSV designates, None when no registration has it."""
        row = self._db().execute("SELECT receipt_sha256 FROM claims WHERE csv=%s AND status='REGISTERED'",
                                 (csv,)).fetchone()
        return row[0] if row else None

    def known(self, invoice_ids: list[int]) -> set[int]:
        """Those of the ids this store holds a claim for."""
        return {row[0] for row in self._db().execute("SELECT id FROM claims WHERE id = ANY(%s)", (invoice_ids,))}

    def restore(self, claims: list[RestoredClaim]) -> int:
        """Record registrations read from the log (REGISTERED, under their ids) in one transaction; how many
        were new. A pending claim among them becomes registered; an id or key held already is left as it is."""
        new, highest = 0, 0
        with self._db().transaction():
            db = self._db()
            for c in claims:
                db.execute("UPDATE claims SET status='REGISTERED', csv=COALESCE(csv, %s), receipt_sha256=%s "
                           "WHERE id=%s AND status='PENDING'", (c.csv, c.receipt_sha256, c.invoice_id))
                row = db.execute(
                    "INSERT INTO claims (id, supplier_nif, year, series, number, issue_date, facturae_sha256, status,"
                    " claimed_at, csv, receipt_sha256) OVERRIDING SYSTEM VALUE VALUES"
                    " (%s, %s, %s, %s, %s, %s, %s, 'REGISTERED', %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                    (c.invoice_id, c.key.supplier_nif, c.key.year, c.key.series, c.key.number, c.issue_date,
                     c.facturae_sha256, c.claimed_at, c.csv, c.receipt_sha256)).fetchone()
                if row is not None:
                    new, highest = new + 1, max(highest, c.invoice_id)
            if new:  # the identity must never hand out a restored id: move it past, never back
                db.execute("SELECT setval('claims_id_seq', %s) WHERE %s > (SELECT last_value FROM claims_id_seq)",
                           (highest, highest))
        return new

    def log_checkpoint(self, topic: str) -> dict[int, int]:
        """Partition -> next offset of the log already read into this store."""
        rows = self._db().execute("SELECT partition, next_offset FROM log_checkpoints WHERE topic=%s", (topic,))
        return {int(p): int(o) for p, o in rows}

    def save_log_checkpoint(self, topic: str, offsets: dict[int, int]) -> None:
        """Remember how far the log has been read into this store (never backwards)."""
        with self._db().cursor() as cursor:
            cursor.executemany("INSERT INTO log_checkpoints VALUES (%s, %s, %s) ON CONFLICT (topic, partition)"
                               " DO UPDATE SET next_offset=GREATEST(log_checkpoints.next_offset,"
                               " excluded.next_offset)", [(topic, p, o) for p, o in offsets.items()])

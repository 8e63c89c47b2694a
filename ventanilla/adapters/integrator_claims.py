"""Integrator versions and certificate fingerprints claimed in SQL before appending, shared by portal replicas."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ventanilla.adapters.sql import Database
from ventanilla.domain.integrator_claims import Claim, Conflict
from ventanilla.domain.integrator_decide import Refused

_SCHEMA = """
CREATE TABLE IF NOT EXISTS portal_versions (nif TEXT PRIMARY KEY, version INTEGER NOT NULL, claimed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS portal_fingerprints (fingerprint TEXT PRIMARY KEY, nif TEXT NOT NULL,
    version INTEGER NOT NULL)
"""
_HOLD = ("INSERT INTO portal_fingerprints VALUES (?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING")


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


class IntegratorClaims:
    """One transaction per claim (SQLite: BEGIN IMMEDIATE on one host; PostgreSQL: a table lock, any number)."""

    def __init__(self, target: Path | str):
        self._db = Database(target)
        if self._db.postgres:
            self._db.execute("SELECT pg_advisory_lock(4243)")  # replicas starting together create the tables once
        self._db.script(_SCHEMA)
        if self._db.postgres:
            self._db.execute("SELECT pg_advisory_unlock(4243)")

    def close(self) -> None:
        """Close this thread's connection."""
        self._db.close()

    def record(self, claim: Claim, stale_before: datetime | None = None) -> None:
        """Take the integrator's next version and the claim's certificates, or raise Conflict / Refused.

        Conflict: another writer claimed a later version first. A later version claimed before `stale_before`
        whose events never reached the log (the caller caught up and still reads `claim.expected`) was abandoned
        by a dead writer: it is taken over. Rows behind the log (a new table) are brought level with the state.
        """
        db = self._db
        db.begin("portal_versions")
        try:
            row = db.execute("SELECT version, claimed_at FROM portal_versions WHERE nif=?", (claim.nif,)).fetchone()
            stored = row[0] if row else None
            if stored is not None and stored > claim.expected:
                if stale_before is None or row[1] >= _utc(stale_before):
                    raise Conflict(claim.nif)
            if stored is None or stored != claim.expected:  # behind the log, or a dead writer's: level with the state
                db.execute("DELETE FROM portal_fingerprints WHERE nif=?", (claim.nif,))
                db.executemany(_HOLD, [(f, claim.nif, claim.expected) for f in claim.held])
            for fingerprint in claim.release:
                db.execute("DELETE FROM portal_fingerprints WHERE fingerprint=? AND nif=?", (fingerprint, claim.nif))
            for fingerprint in claim.take:
                holder = db.execute("SELECT nif FROM portal_fingerprints WHERE fingerprint=?", (fingerprint,)).fetchone()
                if holder is not None and holder[0] != claim.nif:
                    raise Refused("certificate_registered", "file")
                db.execute("INSERT INTO portal_fingerprints VALUES (?, ?, ?) ON CONFLICT (fingerprint)"
                           " DO UPDATE SET version=excluded.version", (fingerprint, claim.nif, claim.version))
            db.execute("INSERT INTO portal_versions VALUES (?, ?, ?) ON CONFLICT (nif) DO UPDATE SET"
                       " version=excluded.version, claimed_at=excluded.claimed_at",
                       (claim.nif, claim.version, _utc(claim.at)))
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def undo(self, claim: Claim) -> None:
        """Give a claim back after its events could not be appended (only if nobody claimed after it)."""
        db = self._db
        db.begin("portal_versions")
        try:
            row = db.execute("SELECT version FROM portal_versions WHERE nif=?", (claim.nif,)).fetchone()
            if row is not None and row[0] == claim.version:
                db.execute("UPDATE portal_versions SET version=? WHERE nif=?", (claim.expected, claim.nif))
                db.executemany("DELETE FROM portal_fingerprints WHERE fingerprint=? AND nif=?",
                               [(f, claim.nif) for f in claim.take])
                db.executemany(_HOLD, [(f, claim.nif, claim.expected) for f in claim.release])
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def version(self, nif: str) -> int | None:
        """The last version claimed for a NIF, or None."""
        row = self._db.execute("SELECT version FROM portal_versions WHERE nif=?", (nif,)).fetchone()
        return row[0] if row else None

    def holder(self, fingerprint: str) -> str | None:
        """The NIF holding a certificate fingerprint, or None."""
        row = self._db.execute("SELECT nif FROM portal_fingerprints WHERE fingerprint=?", (fingerprint,)).fetchone()
        return row[0] if row else None

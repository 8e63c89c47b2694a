"""One SQL surface over SQLite (a local file) and PostgreSQL (a DSN): `?` parameters, per-thread connections."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class Database:
    """A database for read models: SQLite when given a path, PostgreSQL when given a DSN."""

    def __init__(self, target: Path | str):
        self.postgres = isinstance(target, str) and bool(target)
        self._target = target
        self._local = threading.local()
        if not self.postgres:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            self._connection().execute("PRAGMA journal_mode=WAL")

    @property
    def blob(self) -> str:
        """The column type of bytes."""
        return "BYTEA" if self.postgres else "BLOB"

    def _connection(self):
        db = getattr(self._local, "db", None)
        if db is None or getattr(db, "closed", False):
            if self.postgres:
                import psycopg

                db = psycopg.connect(self._target, autocommit=True)
            else:
                db = sqlite3.connect(self._target, timeout=30, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def execute(self, sql: str, params: tuple = ()):
        """Run one statement; its cursor."""
        return self._connection().execute(self._sql(sql), params)

    def executemany(self, sql: str, rows) -> None:
        """Run one statement for many parameter rows."""
        rows = list(rows)
        if rows:
            (self._connection().cursor() if self.postgres else self._connection()).executemany(self._sql(sql), rows)

    def script(self, sql: str) -> None:
        """Run several statements separated by semicolons (schema)."""
        for statement in filter(str.strip, sql.split(";")):
            self.execute(statement)

    def begin(self, lock_table: str) -> None:
        """Start a write transaction that excludes other writers (a table lock on PostgreSQL)."""
        if self.postgres:
            self.execute("BEGIN")
            self.execute(f"LOCK TABLE {lock_table} IN EXCLUSIVE MODE")
        else:
            self.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        """Commit the transaction."""
        self.execute("COMMIT")

    def rollback(self) -> None:
        """Roll the transaction back."""
        self.execute("ROLLBACK")

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

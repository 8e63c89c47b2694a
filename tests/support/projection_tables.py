"""Compare two status projection files table by table (rebuild or restored replica against the live one)."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

TABLES = ("invoices", "history", "messages", "positions")


def rows(path: Path, table: str) -> list[tuple]:
    """A table's rows, sorted, read without writing (read-only URI)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def differences(live: Path, other: Path) -> list[str]:
    """One line per table whose rows differ between the two files (empty: equal row by row)."""
    found = []
    for table in TABLES:
        ours, theirs = rows(live, table), rows(other, table)
        if ours != theirs:
            differ = set(ours) ^ set(theirs)
            found.append(f"{table}: {len(differ)} rows, e.g. {sorted(differ, key=repr)[:2]}")
    return found

"""The official DIR3 units, imported from the directory's CSV export and searched by code or name."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ventanilla.adapters.sql import Database

DIR3_CODE = re.compile(r"^(?:[EALUIJ][0-9]{8}|(?:EA|LA|GE)[0-9]{7})$")
_SCHEMA = "CREATE TABLE IF NOT EXISTS dir3_units (code TEXT PRIMARY KEY, name TEXT NOT NULL, nif TEXT NOT NULL)"


@dataclass(frozen=True)
class Dir3Unit:
    """One unit of the directory."""

    code: str
    name: str
    nif: str = ""


def read_units(data: bytes) -> tuple[list[Dir3Unit], list[str]]:
    """Units from a CSV with `dir3` (or `codigo`) and `name` (or `nombre`) columns; the rows refused, why."""
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.lower(): c for c in reader.fieldnames or ()}
    code_col = columns.get("dir3") or columns.get("codigo") or columns.get("code")
    name_col = columns.get("name") or columns.get("nombre") or columns.get("denominacion")
    if not code_col or not name_col:
        raise ValueError("the file needs a DIR3 code column (dir3/codigo) and a name column (name/nombre)")
    nifs_col = columns.get("nifs") or columns.get("nif")
    units, refused = [], []
    for line, row in enumerate(reader, start=2):
        code, name = (row.get(code_col) or "").strip().upper(), (row.get(name_col) or "").strip()
        if not DIR3_CODE.match(code) or not name:
            refused.append(f"line {line}: {code!r} is not a DIR3 unit code with a name")
            continue
        units.append(Dir3Unit(code, name, (row.get(nifs_col) or "").strip() if nifs_col else ""))
    return units, refused


class Dir3Catalogue:
    """DIR3 units in SQLite or PostgreSQL (reference data: not rebuilt from the log)."""

    def __init__(self, target: Path | str):
        self._db = Database(target)
        self._db.script(_SCHEMA)

    def replace_all(self, units: list[Dir3Unit]) -> int:
        """Load units (a re-import updates names); how many there are now."""
        self._db.begin("dir3_units")
        try:
            self._db.executemany("INSERT INTO dir3_units VALUES (?, ?, ?) ON CONFLICT (code) DO UPDATE SET"
                                 " name=excluded.name, nif=excluded.nif", [(u.code, u.name, u.nif) for u in units])
            self._db.commit()
        except BaseException:
            self._db.rollback()
            raise
        return self._db.execute("SELECT COUNT(*) FROM dir3_units").fetchone()[0]

    def search(self, text: str, limit: int = 20) -> list[Dir3Unit]:
        """Units whose code or name contains text (case-insensitive), by code."""
        pattern = f"%{text.strip().upper()}%"
        rows = self._db.execute("SELECT code, name, nif FROM dir3_units WHERE code LIKE ? OR UPPER(name) LIKE ?"
                                " ORDER BY code LIMIT ?", (pattern, pattern, limit))
        return [Dir3Unit(*r) for r in rows.fetchall()]

    def get(self, code: str) -> Dir3Unit | None:
        """The unit with a code, or None."""
        row = self._db.execute("SELECT code, name, nif FROM dir3_units WHERE code=?", (code.strip().upper(),)).fetchone()
        return Dir3Unit(*row) if row else None

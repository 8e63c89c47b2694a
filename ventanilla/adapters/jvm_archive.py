"""A JVM class-data-sharing archive of a jar directory's classes: the broker starts about 1 s sooner."""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

QUIET = ("-Xlog:cds=off", "-Xlog:cds+dynamic=off")


class ClassArchive:
    """The archive for one java binary and one set of jars, kept in <lib>/.cds and made on first use."""

    def __init__(self, lib_dir: Path, java: str):
        self.path = lib_dir / ".cds" / f"classes-{self._key(lib_dir, java)}.jsa"
        self._pending: Path | None = None

    @staticmethod
    def _key(lib_dir: Path, java: str) -> str:
        digest = hashlib.sha256()
        binary = Path(java).resolve()
        digest.update(f"{binary}:{binary.stat().st_mtime_ns}".encode())
        for jar in sorted(lib_dir.glob("*.jar")):
            digest.update(f"{jar.name}:{jar.stat().st_size}".encode())
        return digest.hexdigest()[:16]

    def options(self, create: bool) -> list[str]:
        """JVM options: use the archive, or (when create and writable) dump one when the JVM exits."""
        if self.path.exists():
            return [f"-XX:SharedArchiveFile={self.path}", *QUIET]
        if not create:
            return []
        try:
            self.path.parent.mkdir(exist_ok=True)
        except OSError:
            return []
        if not os.access(self.path.parent, os.W_OK):
            return []
        self._pending = self.path.with_name(f"{self.path.stem}.{uuid.uuid4().hex}.tmp")
        return [f"-XX:ArchiveClassesAtExit={self._pending}", *QUIET]

    def settle(self, clean_exit: bool) -> None:
        """After the JVM ended: publish a freshly dumped archive atomically, or drop a partial one."""
        pending, self._pending = self._pending, None
        if pending is None or not pending.exists():
            return
        if clean_exit and pending.stat().st_size > 0:
            os.replace(pending, self.path)
        else:
            pending.unlink(missing_ok=True)

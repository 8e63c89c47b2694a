"""Java command lines over a directory of jars, sped up by a class-data-sharing archive made on first use."""
from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Mapping

QUIET = ("-Xlog:cds=off", "-Xlog:cds+dynamic=off")
# C1 only (-XX:TieredStopAtLevel=1): the local broker's C2 compiler threads were its largest CPU cost under load
# for minutes after a start (3-9 ms of the broker's 6-12 ms per registered invoice, docs/benchmarks.md "Write path
# (issue 15)"), and its requests are not slower with C1's code at this scale.
SERVER_OPTIONS = ("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError",
                  "-Djava.awt.headless=true")


def find_java(env: Mapping[str, str]) -> str | None:
    """$JAVA_HOME/bin/java when it exists, else java on the PATH."""
    candidate = Path(env.get("JAVA_HOME") or "/nonexistent", "bin", "java")
    return str(candidate) if candidate.exists() else shutil.which("java")


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
        for stale in self.path.parent.glob("*.tmp"):  # left by JVMs killed while dumping
            try:
                if time.time() - stale.stat().st_mtime > 3600:
                    stale.unlink()
            except OSError:
                pass
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


class JavaRuntime:
    """A java binary, a jar directory and an optional log4j2 configuration file."""

    def __init__(self, java: str, lib_dir: Path, log_config: Path | None = None):
        self.java, self.lib_dir, self.log_config = java, lib_dir, log_config
        self.archive = ClassArchive(lib_dir, java)

    def command(self, main: str, *args: str, heap: str, make_archive: bool = False) -> list[str]:
        """The command line running main with the jars on the class path (the archive used or made)."""
        options = [*self.archive.options(create=make_archive), f"-Xmx{heap}", f"-Xms{heap}", *SERVER_OPTIONS,
                   "-cp", str(self.lib_dir / "*")]
        if self.log_config is not None and self.log_config.exists():
            options.append(f"-Dlog4j2.configurationFile={self.log_config}")
        return [self.java, *options, main, *args]

"""A throw-away PostgreSQL cluster from the Debian packages, for the claims adapter's tests."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def postgres_bin(tool: str) -> str | None:
    """The path of a PostgreSQL server tool (initdb, pg_ctl), or None when PostgreSQL is not installed."""
    found = shutil.which(tool) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


class PostgresCluster:
    """initdb + pg_ctl on a loopback port; as root, the server runs as the `postgres` user."""

    def __init__(self, port: int):
        self.port = port
        self._root = Path(tempfile.mkdtemp(prefix="ventanilla-pg-"))
        self._as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_user:
            shutil.chown(self._root, "postgres")

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as_user, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        """Create and start the cluster; its superuser DSN."""
        data = self._root / "data"
        self._run(postgres_bin("initdb"), "-D", str(data), "-U", "ventanilla", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self._root} -c listen_addresses=127.0.0.1"
        self._run(postgres_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(self._root / "log"), "-w", "start")
        return f"host=127.0.0.1 port={self.port} user=ventanilla dbname=postgres"

    def stop(self) -> None:
        """Stop the server and remove its files."""
        try:
            self._run(postgres_bin("pg_ctl"), "-D", str(self._root / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self._root, ignore_errors=True)

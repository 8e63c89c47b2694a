"""A real S3-compatible server for the tests: versitygw (Apache-2.0, `make k8s-tools`) on a local directory."""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERSITYGW = ROOT / ".tools" / "bin" / "versitygw"
ACCESS_KEY, SECRET_KEY = "ventanilla-test", "ventanilla-test-secret"


class S3Server:
    """versitygw's posix backend with versioning (needed for object lock) on 127.0.0.1:port."""

    def __init__(self, port: int):
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self._root = Path(tempfile.mkdtemp(prefix="ventanilla-s3-"))
        self._process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 30.0) -> "S3Server":
        """Start the server and wait until it accepts connections."""
        (self._root / "data").mkdir()
        (self._root / "versions").mkdir()
        self._process = subprocess.Popen(
            [str(VERSITYGW), "--access", ACCESS_KEY, "--secret", SECRET_KEY, "--port", f"127.0.0.1:{self.port}",
             "posix", "--versioning-dir", str(self._root / "versions"), str(self._root / "data")],
            stdout=subprocess.DEVNULL, stderr=open(self._root / "log", "wb"))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"versitygw exited: {(self._root / 'log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("versitygw did not start listening in time")

    def env(self, bucket: str) -> dict[str, str]:
        """The VENTANILLA_* variables of a store on this server."""
        return {"VENTANILLA_BLOB_STORE": "s3", "VENTANILLA_S3_ENDPOINT": self.endpoint,
                "VENTANILLA_S3_BUCKET": bucket, "VENTANILLA_S3_ACCESS_KEY_ID": ACCESS_KEY,
                "VENTANILLA_S3_SECRET_ACCESS_KEY": SECRET_KEY}

    def stop(self) -> None:
        """Stop the server and remove its files."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._root, ignore_errors=True)

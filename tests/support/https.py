"""Serving a WSGI app over HTTPS on loopback for a test, with a throw-away CA and server certificate."""
from __future__ import annotations

import ssl
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from werkzeug.serving import make_server

from ventanilla import pki, tls


@dataclass(frozen=True)
class LoopbackTls:
    """A CA (`ca`, PEM file) and a server certificate for 127.0.0.1 and localhost it issued."""

    ca: Path
    files: tls.TlsFiles

    def server_context(self, client_required: bool = False) -> ssl.SSLContext:
        """The portal's own server context (TLS 1.2+, client certificates asked for, not required)."""
        return tls.server_context(self.files, client_required=client_required)


def loopback_tls(directory: Path) -> LoopbackTls:
    """Issue the CA and the server certificate into a directory."""
    ca = pki.issue_ca(pki.name("Loopback Test CA", organization="Ventanilla pruebas"))
    server = pki.issue_leaf(ca, pki.name("localhost"), pki.Usage.SERVER, dns_names=("localhost",),
                            ip_addresses=("127.0.0.1",))
    directory.mkdir(parents=True, exist_ok=True)
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(pki.pem(ca.certificate))
    cert, key = server.write(directory, "server")
    return LoopbackTls(ca_path, tls.TlsFiles(cert, key, ca_path))


@contextmanager
def serve_https(app, context: ssl.SSLContext) -> Iterator[str]:
    """Serve app with threads on a free loopback port until the block ends; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

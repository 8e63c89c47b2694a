"""A real portal for browser tests: its composition root over Kafka and SMTP, served over HTTPS in a thread."""
from __future__ import annotations

import itertools
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from werkzeug.serving import make_server

from ventanilla import pki, tls
from portal_service.auth import CertificateLogin
from tests.support.portal import PortalPki, _holder

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _cif_check(digits: str) -> int:
    odd = sum(sum(divmod(2 * int(d), 10)) for d in digits[0::2])
    return (10 - (odd + sum(int(d) for d in digits[1::2])) % 10) % 10


class Nifs:
    """Fresh valid NIFs, so that tests sharing one portal never meet: companies, public bodies, people."""

    def __init__(self, start: int = 1000):
        self._numbers = itertools.count(start)

    def company(self) -> str:
        digits = f"{next(self._numbers):07d}"
        return f"B{digits}{_cif_check(digits)}"

    def public_body(self) -> str:
        digits = f"{next(self._numbers):07d}"
        return f"Q{digits}{'JABCDEFGHI'[_cif_check(digits)]}"

    def person(self) -> str:
        number = 10_000_000 + next(self._numbers)
        return f"{number}{_DNI_LETTERS[number % 23]}"


@dataclass
class People:
    """Certificates of people and entities issued on demand by the test PKI, written as PEM for the browser."""

    portal_pki: PortalPki
    directory: Path

    def issued(self, nif: str) -> pki.Issued:
        if nif not in self.portal_pki.people:
            self.portal_pki.people[nif] = _holder(self.portal_pki.intermediate, nif)
        return self.portal_pki.people[nif]

    def files(self, nif: str) -> tuple[Path, Path]:
        cert, key = self.directory / f"{nif}.pem", self.directory / f"{nif}.key.pem"
        if not cert.exists():
            self.issued(nif).write(self.directory, nif)
        return cert, key


def werkzeug_peer(environ) -> bytes | None:
    """The client certificate werkzeug's TLS server verified in this connection (it passes it as PEM)."""
    pem = environ.get("SSL_CLIENT_CERT")
    return ssl.PEM_cert_to_DER_cert(pem) if pem else None


def certificate_login() -> CertificateLogin:
    """The portal's certificate login, reading the peer certificate the way werkzeug hands it over."""
    return CertificateLogin(peer=werkzeug_peer)


def tls_files(portal_pki: PortalPki, directory: Path) -> tls.TlsFiles:
    """A server certificate for 127.0.0.1 and the client CA bundle (root and intermediate) of the test PKI."""
    server = pki.issue_leaf(portal_pki.intermediate, pki.name("localhost"), pki.Usage.SERVER,
                            dns_names=("localhost",), ip_addresses=("127.0.0.1",))
    cert, key = server.write(directory, "server")
    bundle = directory / "clients-ca.pem"
    bundle.write_bytes(pki.pem(portal_pki.intermediate.certificate) + pki.pem(portal_pki.root.certificate))
    return tls.TlsFiles(cert, key, bundle, None)


class HttpsServer:
    """A threaded WSGI server behind the portal's own TLS context (client certificates asked, not required)."""

    def __init__(self, app, files: tls.TlsFiles, port: int):
        context = tls.server_context(files, client_required=False)
        self._server = make_server("127.0.0.1", port, app, threaded=True, ssl_context=context)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="portal-https")
        self.url = f"https://127.0.0.1:{port}"

    def start(self) -> "HttpsServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


@dataclass
class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it receives."""

    port: int
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler protocol
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def __post_init__(self):
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list:
        """The messages sent to an address."""
        return [m for m in self.messages if address in str(m["To"])]

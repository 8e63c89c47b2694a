"""A whole Ventanilla stack for end-to-end tests, started with `ventanilla up` as an operator would."""
from __future__ import annotations

import os
import ssl
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests

from ventanilla import devpki
from ventanilla.config import Settings

from tests.support import dev_back_office
from tests.support.stack_env import private_env

from . import soap as soap_client

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SAMPLES = SHARED / "reference" / "facturae" / "samples"
# The identity of soap.post by default: an integrator registered as a third-party billing service, so
# that it may submit any sample whatever its seller; access-control tests use their own certificates.
INTEGRATOR_NIF = "B12345674"


@dataclass(frozen=True)
class Stack:
    """A running stack: its settings, environment and SOAP endpoints."""

    settings: Settings
    env: dict[str, str]
    sign: Callable[[bytes], bytes]

    @property
    def soap_url(self) -> str:
        """The SOAP endpoint."""
        return self.settings.edge.url

    @property
    def wsdl_url(self) -> str:
        """The WSDL the edge publishes."""
        return f"{self.settings.edge.url}?wsdl"

    @property
    def comprobantes_url(self) -> str:
        """Where the edge serves sealed receipts by CSV."""
        return self.soap_url.split("/ws/", 1)[0] + "/comprobantes"

    @property
    def ca(self) -> str:
        """The dev CA bundle that signs the edge's server certificate and every client certificate."""
        return str(devpki.layout(self.settings).cert("ca"))

    @cached_property
    def http(self) -> requests.Session:
        """An HTTPS session presenting the integrator's client certificate and trusting the dev CA."""
        session = requests.Session()
        session.cert, session.verify = self.client(INTEGRATOR_NIF), self.ca
        session.trust_env = False  # REQUESTS_CA_BUNDLE would silently replace verify
        return session

    def tls_context(self) -> ssl.SSLContext:
        """A client TLS context for raw sockets, with the integrator's certificate."""
        context = ssl.create_default_context(cafile=self.ca)
        context.load_cert_chain(*self.client(INTEGRATOR_NIF))
        return context

    def client(self, nif: str, entity_nif: str = "") -> tuple[str, str]:
        """(certificate, key) files of a client certificate for nif, issued by the stack's dev CA."""
        out = self.settings.path("clients", f"{nif}-{entity_nif}".rstrip("-"))
        if not (out / "client.pem").exists():
            devpki.client(self.settings, nif, out, entity_nif)
        return str(out / "client.pem"), str(out / "client.key.pem")


def _ventanilla(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ventanilla.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="session")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, free_ports, signing_pki) -> Iterator[Stack]:
    """Start every service against the session's broker; stop them at the end of the session.

    The registry validates against the reference XSDs, requires signatures and trusts the session's
    throw-away PKI (its CRLs included): submit invoices signed with the `sign_invoice` fixture.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_"))}
    env.update(private_env(kafka_bootstrap, tmp_path_factory.mktemp("stack") / "state", free_ports(5), "e2e"))
    env.update({
        "VENTANILLA_FACTURAE_SCHEMAS": str(SHARED / "reference" / "facturae" / "schemas"),
        "VENTANILLA_REQUIRE_SIGNATURE": "1",
        "VENTANILLA_TRUST_STORE": str(signing_pki.trust_store),
        "VENTANILLA_CRLS": str(signing_pki.crls),
        "VENTANILLA_THIRD_PARTY_BILLERS": INTEGRATOR_NIF,
    })
    up = _ventanilla(env, "up", "--timeout", "180")
    settings = Settings.from_env(env)
    if up.returncode != 0:
        _ventanilla(env, "down")
        pytest.fail(f"`ventanilla up` failed:\n{up.stdout}\n{up.stderr}", pytrace=False)
    running = Stack(settings, env, signing_pki.sign)
    try:
        dev_back_office.enrol(env)  # `ventanilla backoffice` acts as this back office, through the gateway
    except BaseException:
        _ventanilla(env, "down")
        raise
    soap_client.use_client_certificate(running.soap_url, running.client(INTEGRATOR_NIF), running.ca)
    try:
        yield running
    finally:
        soap_client.use_client_certificate(running.soap_url, None, None)
        down = _ventanilla(env, "down")
        assert down.returncode == 0, down.stderr


@pytest.fixture
def sample():
    """The bytes of a public sample invoice, by path below the samples directory."""
    return lambda relative: (SAMPLES / relative).read_bytes()


@pytest.fixture
def signed_sample(sample, sign_invoice):
    """A public sample invoice signed (XAdES-EPES) by the session PKI's supplier, which the stack trusts."""
    return lambda relative: sign_invoice(sample(relative))

"""A portal on the real log: composition root with its Kafka log, projection and claims; test-PKI certificates."""
from __future__ import annotations

import time

from cryptography.hazmat.primitives import serialization

from ventanilla import pki
from ventanilla.config import Settings
from ventanilla.domain import integrator_commands as cmd
from portal_service.__main__ import PortalProcess, build
from portal_service.certificates import read_certificate
from portal_service.handlers import Actor
from tests.support.portal_fakes import MemoryRegistry


def portal_env(settings_env: dict, trust, staff: str, **more) -> dict[str, str]:
    """A test's VENTANILLA_* variables for a portal: its broker and topics, the portal PKI's trust store."""
    return {**settings_env, "VENTANILLA_PORTAL_SECRET_KEY": "test-secret", "VENTANILLA_PORTAL_STAFF_NIFS": staff,
            "VENTANILLA_TRUST_STORE": str(trust), "VENTANILLA_PORTAL_EXPIRY_CHECK_S": "86400", **more}


def start_portal(env: dict[str, str], timeout_s: float = 60.0, metrics=None, **overrides) -> PortalProcess:
    """Build the portal from the environment (the registry in memory; metrics kept when given), start its loops,
    wait until caught up."""
    process = build(Settings.from_env(env), overrides={"registry": MemoryRegistry(), **overrides}, metrics=metrics)
    process.start()
    deadline = time.monotonic() + timeout_s
    while not process.caught_up():
        if time.monotonic() > deadline:
            process.stop()
            raise AssertionError("the portal's projection did not catch up with the log")
    return process


def sign_up(process: PortalProcess, nif: str, name: str, email: str) -> None:
    """Sign an integrator up through the use case (the signed document is the view's business)."""
    process.portal.run(Actor(nif, nif), cmd.SignUp, name=name, email=email, third_party=False, accepted_terms=True,
                       signed_document=f"<alta nif='{nif}'/>".encode())


def certificate_facts(issued: pki.Issued) -> cmd.CertificateFacts:
    """What the upload step reads from a certificate."""
    return read_certificate(issued.certificate.public_bytes(serialization.Encoding.PEM))

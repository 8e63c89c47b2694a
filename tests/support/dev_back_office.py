"""A stack's dev back office, enrolled through the portal's use cases: the certificate `ventanilla backoffice` presents
(<state>/pki/backoffice.pem from `ventanilla dev-pki backoffice`) on an approved RCF platform holding the DIR3 units
of the public samples (tests/support/invoices.py)."""
from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import grpc

from ventanilla import devpki
from ventanilla.adapters.backoffice_client import GatewayClient
from ventanilla.adapters.portal_projection import PortalProjection
from ventanilla.config import Settings
from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_decide import Refused
from ventanilla.domain.integrator_events import Role
from ventanilla.stack import dialable
from portal_service.certificates import read_certificate
from portal_service.handlers import Actor
from tests.support.invoices import SAMPLES, UNSIGNED
from tests.support.portal_kafka import start_portal

PLATFORM = "rcf-e2e"


def sample_units() -> tuple[str, ...]:
    """The oficina contable (role 01) of every public sample the registry accepts."""
    found = set()
    for name in UNSIGNED:
        text = (SAMPLES / name).read_text(encoding="utf-8")
        found |= set(re.findall(r"<CentreCode>(\w+)</CentreCode>\s*<RoleTypeCode>01</RoleTypeCode>", text))
    return tuple(sorted(found))


def _gateway_knows(settings: Settings, pki_dir: Path) -> bool:
    client = GatewayClient(dialable(settings.gateway.address), pki_dir / "ca.pem", pki_dir / "backoffice.pem",
                           pki_dir / "backoffice.key.pem", deadline_s=5)
    try:
        client.history(1)
        return True
    except grpc.RpcError as error:  # "not of your units" for a platform it knows; anything else: not yet
        return error.code() is grpc.StatusCode.PERMISSION_DENIED and "oficina contable" in (error.details() or "")
    finally:
        client.close()


def enrol(env: dict[str, str], units: tuple[str, ...] = (), timeout_s: float = 60.0) -> str:
    """Issue the dev back office's certificate and register it through a portal built in this process (its own
    read model; the stack's claims); wait until the stack's gateway knows it. The platform id."""
    settings = Settings.from_env(env)
    cert, _ = devpki.backoffice(settings)
    nif, staff = devpki.DEV_BACK_OFFICE_NIF, Actor(devpki.STAFF_NIF, devpki.DEV_BACK_OFFICE_NIF)
    with tempfile.TemporaryDirectory(prefix="dev-back-office-") as scratch:
        process = start_portal(env, read_model=PortalProjection(Path(scratch) / "projection.sqlite3"))
        try:
            portal, actor = process.portal, Actor(nif, nif)
            try:
                portal.run(actor, cmd.SignUp, name="Administración DEV", email="rcf@ejemplo.es", third_party=False,
                           accepted_terms=True, signed_document=b"<alta dev/>")
            except Refused:
                pass  # signed up by an earlier enrolment of this stack
            facts = read_certificate(cert.read_bytes())
            portal.run(actor, cmd.RegisterCertificate, alias="backoffice", facts=facts, held_elsewhere=False)
            portal.run(actor, cmd.CreatePlatform, platform_id=PLATFORM, name="RCF DEV", roles=frozenset({Role.RECEIVING}),
                       fingerprint=facts.fingerprint)
            portal.run(staff, cmd.ApprovePlatform, platform_id=PLATFORM)
            for code in units or sample_units():
                portal.run(staff, cmd.AttachDir3Unit, platform_id=PLATFORM, code=code, name=f"Oficina {code}")
        finally:
            process.stop()
    deadline = time.monotonic() + timeout_s
    while not _gateway_knows(settings, cert.parent):
        if time.monotonic() > deadline:
            raise AssertionError("the stack's back-office gateway did not learn the dev back office in time")
        time.sleep(0.2)
    return PLATFORM

"""Enrolling integrators, certificates, platforms and DIR3 units through the portal's real use cases (tests)."""
from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ventanilla import pki
from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_events import Role
from portal_service.handlers import Actor
from tests.support.portal_kafka import certificate_facts

STAFF = "00000000T"


def fingerprint(issued: pki.Issued) -> str:
    """SHA-256 of the certificate's DER, hex: its identity in the portal and the directory."""
    return hashlib.sha256(issued.certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


@dataclass
class Enrolment:
    """A test CA issuing client certificates, and a portal (its composition root) to register them with."""

    ca: pki.Issued
    portal: object = None  # portal_service.handlers.Portal, once started

    @classmethod
    def new(cls, directory: Path) -> "Enrolment":
        """A new CA, written to directory/clients-ca.pem (a trust store for the portal and the gateway)."""
        ca = pki.issue_ca(pki.name("Ventanilla TEST clients CA", organization="Ventanilla tests"))
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "clients-ca.pem").write_bytes(pki.pem(ca.certificate))
        return cls(ca)

    def client(self, nif: str, label: str = "") -> pki.Issued:
        """A client certificate of an entity (organizationIdentifier VATES-<nif>)."""
        name = pki.name(f"{label or 'SISTEMA'} {nif}", organization=f"ENTIDAD {nif}",
                        organization_identifier=f"VATES-{nif}")
        return pki.issue_leaf(self.ca, name, pki.Usage.CLIENT)

    def sign_up(self, nif: str, third_party: bool = False) -> None:
        self.portal.run(Actor(nif, nif), cmd.SignUp, name=f"Entidad {nif}", email="alta@ejemplo.es",
                        third_party=third_party, accepted_terms=True, signed_document=f"<alta nif='{nif}'/>".encode())

    def register(self, nif: str, issued: pki.Issued) -> str:
        """Register a certificate; its fingerprint."""
        self.portal.run(Actor(nif, nif), cmd.RegisterCertificate, alias=f"c-{uuid.uuid4().hex[:6]}",
                        facts=certificate_facts(issued), held_elsewhere=False)
        return fingerprint(issued)

    def platform(self, nif: str, issued: pki.Issued, roles=(Role.SENDING,)) -> str:
        """Register a certificate and create a platform with it; the platform id."""
        platform_id = uuid.uuid4().hex[:12]
        self.portal.run(Actor(nif, nif), cmd.CreatePlatform, platform_id=platform_id, name=f"P {platform_id}",
                        roles=frozenset(roles), fingerprint=self.register(nif, issued))
        return platform_id

    def back_office(self, nif: str, issued: pki.Issued, units: tuple[str, ...], roles=(Role.RECEIVING,)) -> str:
        """An RCF platform approved by staff with DIR3 units attached; its id."""
        platform_id = self.platform(nif, issued, roles)
        staff = Actor(STAFF, nif)
        self.portal.run(staff, cmd.ApprovePlatform, platform_id=platform_id)
        for code in units:
            self.portal.run(staff, cmd.AttachDir3Unit, platform_id=platform_id, code=code, name=f"Oficina {code}")
        return platform_id


def until(condition, timeout_s: float = 30.0, step_s: float = 0.01) -> float:
    """Seconds until condition() is true; AssertionError after the deadline."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"not true within {timeout_s} s")
        time.sleep(step_s)
    return time.monotonic() - started

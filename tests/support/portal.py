"""A portal built on fakes for fast tests: its test PKI, a Flask test client logged in by certificate."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ventanilla import pki
from ventanilla.config import Settings
from tests.support.facturae_signing import sign_facturae
from ventanilla.facturae.trust import CertificateChecker, TrustMaterial
from portal_service.auth import CertificateLogin
from portal_service.signature import XadesVerifier
from tests.support.portal_fakes import FixedClock, MemoryClaims, MemoryLog, MemoryMailer, MemoryReadModel, MemoryRegistry

PUBLIC_BODY = "Q2826000H"   # may hold the RCF role
COMPANY = "B23103039"
PERSON = "12345678Z"
STAFF = "00000000T"
PEER = "ventanilla.test.peer"


@dataclass
class PortalPki:
    """A root and an intermediate; login/signing certificates per NIF; system certificates to upload."""

    root: pki.Issued
    intermediate: pki.Issued
    people: dict
    expired: pki.Issued
    trust: Path

    def der(self, nif: str) -> bytes:
        return self.people[nif].certificate.public_bytes(serialization.Encoding.DER)

    def sign(self, document: bytes, nif: str | None = None, signer: pki.Issued | None = None) -> bytes:
        signer = signer or self.people[nif]
        return sign_facturae(document, signer.certificate, signer.key, chain=(self.intermediate.certificate,))

    def checker(self) -> CertificateChecker:
        return CertificateChecker(TrustMaterial.load(self.trust), "soft-fail")

    def system_certificate(self, label: str, *, days: int = 365, not_before: datetime | None = None,
                           ca: bool = False) -> pki.Issued:
        """A certificate an integrator's system would call with (or a CA one, to be refused)."""
        subject = pki.name(f"SISTEMA {label}", organization="Integrador de pruebas")
        if ca:
            return pki.issue_ca(subject, issuer=self.intermediate, path_length=0, days=days)
        return pki.issue_leaf(self.intermediate, subject, pki.Usage.CLIENT, days=days, not_before=not_before)


def _holder(issuer: pki.Issued, nif: str, **options) -> pki.Issued:
    if nif[0].isdigit():
        subject = pki.name(f"TITULAR {nif}", serial_number=f"IDCES-{nif}", given_name="TITULAR", surname=nif)
    else:
        subject = pki.name(f"ENTIDAD {nif}", organization=f"ENTIDAD {nif}", organization_identifier=f"VATES-{nif}")
    return pki.issue_leaf(issuer, subject, pki.Usage.SIGNING, **options)


def build_portal_pki(directory: Path) -> PortalPki:
    """Issue the PKI and write its trust store."""
    now = datetime.now(timezone.utc)
    root = pki.issue_ca(pki.name("Portal Test Root CA", organization="Ventanilla pruebas"))
    intermediate = pki.issue_ca(pki.name("Portal Test CA", organization="Ventanilla pruebas"), issuer=root,
                                path_length=0, days=1825)
    people = {nif: _holder(intermediate, nif) for nif in (PUBLIC_BODY, COMPANY, PERSON, STAFF)}
    expired = _holder(intermediate, PUBLIC_BODY, not_before=now - timedelta(days=400), days=30)
    trust = directory / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    (trust / "root.pem").write_bytes(pki.pem(root.certificate))
    (trust / "intermediate.pem").write_bytes(pki.pem(intermediate.certificate))
    return PortalPki(root, intermediate, people, expired, trust)


def portal_settings(state_dir: Path, **env) -> Settings:
    return Settings.from_env({"VENTANILLA_STATE_DIR": str(state_dir), "VENTANILLA_PORTAL_STAFF_NIFS": STAFF,
                              "VENTANILLA_PORTAL_SECRET_KEY": "test-secret", **env})


def fake_overrides(portal_pki: PortalPki, read_model=None, **more) -> dict:
    """Everything a portal needs, in memory (the verifier is the real one, under the test PKI)."""
    read_model = read_model or MemoryReadModel()
    return {"read_model": read_model, "log": MemoryLog(read_model), "settle": lambda position: True,
            "claims": MemoryClaims(),
            "mailer": MemoryMailer(), "clock": FixedClock(datetime.now(timezone.utc).replace(microsecond=0)),
            "registry": MemoryRegistry(), "verifier": XadesVerifier(portal_pki.checker()),
            "certificate_login": CertificateLogin(peer=lambda environ: environ.get(PEER)),
            "secure_cookies": False, "seal_roots": (), **more}


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class Browser:
    """A Flask test client that keeps the CSRF token of the last page it saw."""

    def __init__(self, app, peer_der: bytes | None = None):
        self.client = app.test_client()
        self.peer = peer_der
        self.token = ""
        self.last = None

    def _environ(self):
        return {PEER: self.peer} if self.peer else {}

    def get(self, path: str, **kwargs):
        response = self.client.get(path, environ_base=self._environ(), **kwargs)
        self._keep(response)
        return response

    def post(self, path: str, data: dict | None = None, **kwargs):
        data = {"csrf_token": self.token, **(data or {})}
        headers = {"Referer": "https://localhost/"}  # Flask-WTF checks the referrer over HTTPS
        response = self.client.post(path, data=data, environ_base=self._environ(), headers=headers, **kwargs)
        self._keep(response)
        return response

    def _keep(self, response) -> None:
        self.last = response
        found = CSRF.search(response.get_data(as_text=True)) if response.mimetype == "text/html" else None
        if found:
            self.token = found.group(1) or found.group(2)

    def login(self):
        response = self.get("/acceso/certificado")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.get("/perfil")
        self.get("/inicio")
        return self

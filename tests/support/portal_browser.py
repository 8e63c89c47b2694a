"""Browser-suite helpers: the running site, state seeded through the use cases, a visitor that looks at pages."""
from __future__ import annotations

import hashlib
import io
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from axe_playwright_python.sync_playwright import Axe
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from reportlab.pdfgen import canvas

from ventanilla import pki
from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_events import Role
from portal_service import acceptance
from portal_service.certificates import read_certificate
from portal_service.handlers import Actor
from registry_service.seal import dev_seal
from tests.support.portal_fakes import MemoryRegistry

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "portal"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--ignore-certificate-errors"]
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
              "resultTypes": ["violations"]}
BLOCKING = ("serious", "critical")
TRUSTED_CSV, UNTRUSTED_CSV = "ABCDEFGHIJKLMNOPQRSTUVWX", "QRSTUVWXYZ234567ABCDEFGH"
_AXE = Axe()


def _receipt_pdf(csv: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=True)
    page.drawString(72, 760, f"Comprobante de registro de factura electronica - CSV {csv}")
    page.showPage()
    page.save()
    return buffer.getvalue()


def receipts(directory: Path) -> tuple[MemoryRegistry, tuple]:
    """Two receipts sealed with PAdES by the registry's own seal code: one trusted by the portal, one not."""
    trusted, stranger = dev_seal(directory / "trusted"), dev_seal(directory / "stranger")
    registry = MemoryRegistry(receipts={TRUSTED_CSV: trusted.seal(_receipt_pdf(TRUSTED_CSV)),
                                        UNTRUSTED_CSV: stranger.seal(_receipt_pdf(UNTRUSTED_CSV))})
    root = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(
        (directory / "trusted" / "seal-root.pem").read_bytes()).public_bytes(serialization.Encoding.DER))
    return registry, (root,)


def fingerprint(issued: pki.Issued) -> str:
    """SHA-256 of the certificate's DER, as the portal names certificates."""
    return hashlib.sha256(issued.certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


@dataclass
class Site:
    """The running portal and what tests seed through its use cases (the flows they do not test)."""

    url: str
    process: object
    people: object
    nifs: object
    smtp: object
    registry: MemoryRegistry
    ca_bundle: Path
    _labels: itertools.count = field(default_factory=itertools.count)

    def run(self, nif: str, command, actor: str | None = None, **values):
        return self.process.portal.run(Actor(actor or nif, nif), command, **values)

    def state(self, nif: str):
        return self.process.portal.read_model.integrator(nif)

    def acceptance(self, nif: str, email: str, third_party: bool = False, document_id: str | None = None) -> bytes:
        return acceptance.build(acceptance.Acceptance(document_id or uuid.uuid4().hex, f"ENTIDAD {nif}", nif, email,
                                                      True, third_party, datetime.now(timezone.utc)))

    def sign_up(self, nif: str, email: str | None = None) -> str:
        email = email or f"{nif.lower()}@ejemplo.es"
        self.people.issued(nif)
        signed = self.people.portal_pki.sign(self.acceptance(nif, email), nif)
        self.run(nif, cmd.SignUp, name=f"ENTIDAD {nif}", email=email, third_party=False, accepted_terms=True,
                 signed_document=signed)
        return nif

    def system_certificate(self, label: str = "", **options) -> pki.Issued:
        return self.people.portal_pki.system_certificate(label or f"sistema-{next(self._labels)}", **options)

    def register(self, nif: str, alias: str, issued: pki.Issued | None = None, actor: str | None = None):
        issued = issued or self.system_certificate(alias)
        facts = read_certificate(issued.certificate.public_bytes(serialization.Encoding.PEM))
        self.run(nif, cmd.RegisterCertificate, actor, alias=alias, facts=facts, held_elsewhere=False)
        return issued

    def platform(self, nif: str, name: str, roles: tuple[Role, ...], issued: pki.Issued) -> str:
        platform_id = uuid.uuid4().hex[:12]
        self.run(nif, cmd.CreatePlatform, platform_id=platform_id, name=name, roles=frozenset(roles),
                 fingerprint=fingerprint(issued))
        return platform_id

    def authorize(self, nif: str, user_nif: str, name: str = "Ana", surname1: str = "Pérez") -> None:
        self.run(nif, cmd.AuthorizeUser, user_nif=user_nif, name=name, surname1=surname1, surname2="",
                 email=f"{user_nif.lower()}@ejemplo.es")


class AccessibilityViolations(AssertionError):
    """axe-core found serious or critical WCAG 2.1 AA violations on a page."""


@dataclass
class Visitor:
    """One browser context (with or without a client certificate) and its page; `look` keeps and checks it."""

    context: object
    page: object
    site: Site
    folder: Path
    label: str
    _shots: itertools.count = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def open(cls, browser, site: Site, folder: Path, nif: str | None, lang: str, label: str) -> "Visitor":
        certificates = []
        if nif:
            cert, key = site.people.files(nif)
            certificates = [{"origin": site.url, "certPath": str(cert), "keyPath": str(key)}]
        context = browser.new_context(ignore_https_errors=True, client_certificates=certificates,
                                      locale="es-ES" if lang == "es" else "en-GB", accept_downloads=True,
                                      viewport={"width": 1200, "height": 800})
        context.set_default_timeout(20_000)
        return cls(context, context.new_page(), site, folder, label)

    def go(self, path: str):
        response = self.page.goto(self.site.url + path)
        return response

    def login(self) -> "Visitor":
        """Log in by certificate from the login page (a person authorized by others lands on the profile choice)."""
        self.go("/acceso")
        self.page.get_by_role("button", name="Acceder con certificado electrónico").click()
        self.page.wait_for_load_state()
        return self

    def look(self, name: str) -> None:
        """Keep a full-page screenshot; check the footer links the accessibility statement and axe-core (WCAG 2.1
        AA) finds no serious or critical violation."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=self.folder / f"{self.label}-{next(self._shots):02d}-{name}.png", full_page=True)
        assert self.page.locator("footer a[href='/accesibilidad']").count() == 1, "accessibility statement link"
        results = _AXE.run(self.page, options=WCAG_21_AA)
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
        if blocking:
            raise AccessibilityViolations(f"{self.page.url}: " + "; ".join(
                f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                for v in blocking))

    def error_of(self, field_id: str) -> str:
        """The message shown next to a form field."""
        return self.page.locator(f"#{field_id}-error").inner_text()

    def close(self) -> None:
        self.context.close()

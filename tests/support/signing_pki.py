"""A throw-away PKI for signing Facturae in tests: root, intermediate, good, expired, future and revoked signers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ventanilla import pki
from tests.support.facturae_signing import sign_facturae

SUPPLIER_NIF = "B23103039"  # the seller of invopop_invoice-face_unsigned.xml


@dataclass(frozen=True)
class SigningPki:
    """Every certificate a signature test needs, with the directories the registry is configured with."""

    root: pki.Issued
    intermediate: pki.Issued
    supplier: pki.Issued
    expired: pki.Issued
    not_yet_valid: pki.Issued
    revoked: pki.Issued
    trust_store: Path
    crls: Path

    def sign(self, document: bytes, signer: pki.Issued | None = None, signing_time: datetime | None = None) -> bytes:
        """The document with a XAdES-EPES signature by `signer` (the good supplier by default)."""
        signer = signer or self.supplier
        return sign_facturae(document, signer.certificate, signer.key, signing_time=signing_time,
                             chain=(self.intermediate.certificate,))


def _supplier(issuer: pki.Issued, label: str, nif: str, **options) -> pki.Issued:
    subject = pki.name(f"{label} - {nif}", organization="Proveedor de Pruebas SL",
                       organization_identifier=f"VATES-{nif}", serial_number=f"IDCES-{nif}")
    return pki.issue_leaf(issuer, subject, pki.Usage.SIGNING, **options)


def build_signing_pki(directory: Path, nif: str = SUPPLIER_NIF) -> SigningPki:
    """Issue the PKI and write its trust store (root + intermediate) and CRLs under directory."""
    now = datetime.now(timezone.utc)
    root = pki.issue_ca(pki.name("Ventanilla Test Root CA", organization="Ventanilla pruebas"))
    intermediate = pki.issue_ca(pki.name("Ventanilla Test Signing CA", organization="Ventanilla pruebas"),
                                issuer=root, path_length=0, days=1825)
    supplier = _supplier(intermediate, "FIRMA", nif)
    expired = _supplier(intermediate, "CADUCADO", nif, not_before=now - timedelta(days=400), days=30)
    not_yet_valid = _supplier(intermediate, "FUTURO", nif, not_before=now + timedelta(days=30))
    revoked = _supplier(intermediate, "REVOCADO", nif)
    trust_store, crls = directory / "trust", directory / "crls"
    trust_store.mkdir(parents=True, exist_ok=True)
    crls.mkdir(parents=True, exist_ok=True)
    (trust_store / "root.pem").write_bytes(pki.pem(root.certificate))
    (trust_store / "intermediate.pem").write_bytes(pki.pem(intermediate.certificate))
    (crls / "root.crl").write_bytes(pki.pem(pki.issue_crl(root)))
    (crls / "intermediate.crl").write_bytes(pki.pem(pki.issue_crl(
        intermediate, (revoked.certificate,), revoked_at=now - timedelta(days=1))))
    return SigningPki(root, intermediate, supplier, expired, not_yet_valid, revoked, trust_store, crls)

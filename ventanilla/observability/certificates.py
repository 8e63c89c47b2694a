"""When configured certificates expire, for ventanilla_certificate_expiry_timestamp_seconds."""
from __future__ import annotations

from pathlib import Path

from cryptography import x509


def _certificates(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def earliest_expiry(*paths: Path) -> float | None:
    """Unix time of the first not-after among the certificates in these files or directories; None if none."""
    found = []
    for path in paths:
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for file in files:
            try:
                found.extend(c.not_valid_after_utc.timestamp() for c in _certificates(file))
            except (OSError, ValueError):
                continue
    return min(found) if found else None


def observe_expiry(gauge, role: str, *paths: Path | None) -> None:
    """Set the certificate-expiry gauge for role (edge_tls, client_ca, receipt_seal, signature_trust)."""
    when = earliest_expiry(*(p for p in paths if p is not None))
    if when is not None:
        gauge.labels(certificate=role).set(when)

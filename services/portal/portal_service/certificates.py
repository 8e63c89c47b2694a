"""Reading an uploaded certificate (.pem or .cer, PEM or DER) into the facts the aggregate decides on."""
from __future__ import annotations

import hashlib

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ventanilla import certnif
from ventanilla.domain.integrator_commands import CertificateFacts
from ventanilla.domain.integrator_decide import Refused

MAX_BYTES = 64 * 1024
_PEM_CERT = b"-----BEGIN CERTIFICATE-----"


def _is_pkcs12(data: bytes) -> bool:
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        return pfx["version"].native == "v3" and pfx["auth_safe"]["content_type"].native is not None
    except (ValueError, TypeError, KeyError):
        return False


def _load(data: bytes) -> x509.Certificate:
    if b"PRIVATE KEY-----" in data:
        raise Refused("private_key", "file")
    if data.lstrip().startswith(b"-----BEGIN"):
        if data.count(_PEM_CERT) != 1:
            raise Refused("several_certificates" if data.count(_PEM_CERT) > 1 else "malformed", "file")
        try:
            return x509.load_pem_x509_certificate(data)
        except ValueError:
            raise Refused("malformed", "file") from None
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise Refused("pkcs12" if _is_pkcs12(data) else "malformed", "file") from None


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def read_certificate(data: bytes) -> CertificateFacts:
    """The facts of the single certificate in the upload; Refused(code, "file") for anything else."""
    if not data:
        raise Refused("file_required", "file")
    if len(data) > MAX_BYTES:
        raise Refused("too_large", "file")
    certificate = _load(data)
    der = certificate.public_bytes(serialization.Encoding.DER)
    found = certnif.certificate_nif(certificate)
    return CertificateFacts(
        fingerprint=hashlib.sha256(der).hexdigest(), der=der, subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(), serial_number=str(certificate.serial_number),
        holder_nif=found[0] if found else "", not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc, is_ca=_is_ca(certificate))

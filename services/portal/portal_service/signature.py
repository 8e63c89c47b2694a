"""Verifying the signed acceptance document with the registry's XAdES and certificate-path machinery."""
from __future__ import annotations

from datetime import datetime

from ventanilla import certnif
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.integrator_decide import Refused
from ventanilla.facturae.signature import verify_signature
from ventanilla.facturae.trust import CertificateChecker
from ventanilla.facturae.xml import parse_untrusted

_REFUSALS = {ErrorKey.SIGN_EXPIRED: "signer_expired", ErrorKey.SIGN_NOT_YET_VALID: "signer_expired",
             ErrorKey.SIGN_REVOKED: "signer_revoked"}


class XadesVerifier:
    """An enveloped XAdES-EPES signature whose signer chains to the trust store and names a NIF."""

    def __init__(self, checker: CertificateChecker):
        self._checker = checker

    def verify(self, document: bytes, at: datetime) -> str:
        """The signer's NIF; Refused(code, "document") for an unsigned, broken or untrusted signature."""
        try:
            root = parse_untrusted(document)
        except Exception:  # noqa: BLE001 - hardened parser refusals of every kind
            raise Refused("document_unreadable", "document") from None
        try:
            signed_by = verify_signature(root)
        except DomainError:
            raise Refused("signature_invalid", "document") from None
        try:
            self._checker.check(signed_by.certificate, signed_by.others, None, at)
        except DomainError as error:
            raise Refused(_REFUSALS.get(error.key, "signer_untrusted"), "document") from None
        found = certnif.certificate_nif(signed_by.certificate)
        if found is None:
            raise Refused("signer_no_nif", "document")
        return found[0]

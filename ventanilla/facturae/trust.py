"""The signer's certificate: validity at signing and reception, then path and revocation with pyhanko-certvalidator."""
from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.path_cache import AcceptedPaths, path_key

log = logging.getLogger("facturae.trust")
_SUFFIXES = (".pem", ".crt", ".cer", ".der", ".crl")


def _der_blobs(directory: Path) -> list[bytes]:
    """Every DER object in the PEM or DER files of a directory (or in one such file)."""
    blobs = []
    paths = [directory] if directory.is_file() else sorted(directory.iterdir())
    for path in (p for p in paths if p.suffix.lower() in _SUFFIXES and p.is_file()):
        data = path.read_bytes()
        blobs += [der for _, _, der in asn1_pem.unarmor(data, multiple=True)] if asn1_pem.detect(data) else [data]
    return blobs


@dataclass(frozen=True)
class TrustMaterial:
    """CA certificates (self-signed ones are anchors) and CRLs, read once at startup."""

    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...]
    crls: tuple[asn1_crl.CertificateList, ...]

    @classmethod
    def load(cls, trust_store: Path, crl_directory: Path | None = None) -> "TrustMaterial":
        """Read a directory (or one PEM bundle file) of CA certificates and, optionally, a directory of CRLs."""
        certificates = [asn1_x509.Certificate.load(der) for der in _der_blobs(trust_store)]
        crls = [asn1_crl.CertificateList.load(der) for der in _der_blobs(crl_directory)] if crl_directory else []
        roots = tuple(c for c in certificates if c.self_signed != "no")  # asn1crypto: "no", "maybe" or "yes"
        if not roots:
            raise ValueError(f"no self-signed CA certificate in the trust store {trust_store}")
        return cls(roots, tuple(c for c in certificates if c.self_signed == "no"), tuple(crls))


class CertificateChecker:
    """Judges a signer's certificate against the trust material under a revocation policy."""

    def __init__(self, material: TrustMaterial, revocation_policy: str = "require", fetch: bool = False,
                 accepted: AcceptedPaths | None = None):
        self._material = material
        self._policy = revocation_policy
        self._fetch = fetch
        self.accepted = accepted if accepted is not None else AcceptedPaths()
        self._crl_updates = tuple(c["tbs_cert_list"]["next_update"].native for c in material.crls)
        # asn1crypto parses lazily and not thread-safely: the shared trust material is used by one
        # validation at a time (certvalidator is pure Python: the GIL serialises it anyway).
        self._lock = threading.Lock()

    def check(self, signer: x509.Certificate, others: tuple[x509.Certificate, ...], signing_time: datetime | None,
              received_at: datetime) -> None:
        """Refuse with sign.expired, notYetValid, status.revoked, status.unknown or sign.error."""
        for moment, when in ((signing_time, "en la fecha de firma"), (received_at, "en la fecha de recepción")):
            if moment is not None:
                _check_window(signer, moment, when)
        key = path_key(signer, others)
        if not self.accepted.accepted(key, received_at):
            path_ends = self._path_ends(signer, others, received_at)
            self.accepted.remember(key, received_at, path_ends, self._crl_updates)
        _check_usage(signer)

    def _path_ends(self, signer: x509.Certificate, others: tuple[x509.Certificate, ...],
                   received_at: datetime) -> list[datetime]:
        """Validate the signer's path with revocation at received_at (pyhanko-certvalidator); its certificates' ends."""
        try:
            with self._lock:  # building the context reads the shared certificates too
                return self._validate(signer, others, received_at, self._policy)
        except cv.RevokedError as error:
            raise DomainError(ErrorKey.SIGN_REVOKED, f"{ErrorKey.SIGN_REVOKED.description} {error}") from None
        except (cv.InsufficientRevinfoError, cv.StaleRevinfoError) as error:
            raise DomainError(ErrorKey.SIGN_UNKNOWN, f"{ErrorKey.SIGN_UNKNOWN.description} {error}") from None
        except cv.ExpiredError as error:
            raise DomainError(ErrorKey.SIGN_EXPIRED, f"{ErrorKey.SIGN_EXPIRED.description} {error}") from None
        except cv.NotYetValidError as error:
            raise DomainError(ErrorKey.SIGN_NOT_YET_VALID, f"{ErrorKey.SIGN_NOT_YET_VALID.description} {error}") from None
        except cv.PathBuildingError:
            detail = "El certificado del firmante no procede de una autoridad de certificación de confianza."
            raise DomainError(ErrorKey.SIGN_ERROR, f"{ErrorKey.SIGN_ERROR.description} {detail}") from None
        except (cv.PathValidationError, cv.ValidationError, ValueError) as error:
            log.info("certificate path refused", extra={"reason": type(error).__name__})
            raise DomainError(ErrorKey.SIGN_ERROR, f"{ErrorKey.SIGN_ERROR.description} {error}") from None

    def revocation(self, certificate: x509.Certificate, moment: datetime) -> str:
        """"good", "revoked" or "unknown" (no path, or revocation information missing, stale or unreachable).

        Established from the CRLs of the material, or fetched from the certificate's CRL and OCSP locations.
        """
        try:
            with self._lock:
                self._validate(certificate, (), moment, "require")
        except cv.RevokedError:
            return "revoked"
        except (cv.PathBuildingError, cv.PathValidationError, cv.ValidationError, ValueError) as error:
            log.info("client certificate revocation not established", extra={"reason": type(error).__name__})
            return "unknown"
        return "good"

    def _validate(self, certificate: x509.Certificate, others: tuple[x509.Certificate, ...], moment: datetime,
                  mode: str) -> list[datetime]:
        """Build and validate the certificate's path at a moment under a revocation mode (caller holds the lock);
        the ends of its certificates' validity."""
        context = ValidationContext(
            trust_roots=self._material.roots, other_certs=self._material.intermediates,
            crls=self._material.crls, moment=moment, allow_fetching=self._fetch, revocation_mode=mode,
            fetcher_backend=RequestsFetcherBackend(per_request_timeout=5) if self._fetch else None)
        validator = CertificateValidator(_asn1(certificate), [_asn1(c) for c in others], validation_context=context)
        path = asyncio.run(validator.async_validate_path())
        return [c.not_valid_after for c in path.iter_certs(include_root=True)]


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _check_window(signer: x509.Certificate, moment: datetime, when: str) -> None:
    """The signer's certificate must be within its validity period at this moment."""
    if moment < signer.not_valid_before_utc:
        detail = f"{ErrorKey.SIGN_NOT_YET_VALID.description} Válido desde {signer.not_valid_before_utc:%Y-%m-%d %H:%M} UTC, {when} ({moment:%Y-%m-%d %H:%M %Z})."
        raise DomainError(ErrorKey.SIGN_NOT_YET_VALID, detail)
    if moment > signer.not_valid_after_utc:
        detail = f"{ErrorKey.SIGN_EXPIRED.description} Caducó el {signer.not_valid_after_utc:%Y-%m-%d %H:%M} UTC, {when} ({moment:%Y-%m-%d %H:%M %Z})."
        raise DomainError(ErrorKey.SIGN_EXPIRED, detail)


def _check_usage(signer: x509.Certificate) -> None:
    """A signer's certificate that restricts its key usage must allow signatures."""
    try:
        usage = signer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        detail = "El certificado del firmante no permite firmar (uso de clave)."
        raise DomainError(ErrorKey.SIGN_ERROR, f"{ErrorKey.SIGN_ERROR.description} {detail}")

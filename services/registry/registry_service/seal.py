"""The registry's electronic seal: PAdES signatures on receipts with pyHanko, the key held loaded."""
from __future__ import annotations

import fcntl
import io
import logging
import threading
from datetime import datetime
from pathlib import Path

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash, simple_cms_attribute
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ventanilla import pki

log = logging.getLogger("registry.seal")
FIELD = "SelloRegistro"
_RESERVED = 16384  # bytes for the CMS signature: no dry-run signature is needed to size it


class _HeldKeySigner(signers.SimpleSigner):
    """A SimpleSigner that signs with a loaded RSA key instead of re-parsing it on every signature."""

    def __init__(self, certificate: x509.Certificate, key: rsa.RSAPrivateKey, chain: tuple[x509.Certificate, ...]):
        der = serialization.Encoding.DER
        info = asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        super().__init__(signing_cert=asn1_x509.Certificate.load(certificate.public_bytes(der)), signing_key=info,
                         cert_registry=SimpleCertificateStore.from_certs(
                             [asn1_x509.Certificate.load(c.public_bytes(der)) for c in chain]))
        self._key = key
        self._constant_attrs: dict[tuple, tuple[bytes, ...]] = {}

    async def signed_attrs(self, data_digest: bytes, digest_algorithm: str, attr_settings=None, content_type="data",
                           use_pades=False, timestamper=None, dry_run=False, is_pdf_sig=True):
        """pyHanko's PAdES signed attributes, built once: per receipt only the message digest changes (asn1crypto
        took ~5 ms to build the signing-certificate attribute again for every receipt)."""
        if not use_pades or timestamper is not None or (attr_settings and attr_settings.cades_signed_attrs):
            return await super().signed_attrs(data_digest, digest_algorithm, attr_settings, content_type, use_pades,
                                              timestamper, dry_run, is_pdf_sig)
        key = (digest_algorithm, content_type, is_pdf_sig)
        if key not in self._constant_attrs:
            built = await super().signed_attrs(data_digest, digest_algorithm, attr_settings, content_type, True,
                                               None, False, is_pdf_sig)
            self._constant_attrs[key] = tuple(a.dump() for a in built if a["type"].native != "message_digest")
        return cms.CMSAttributes([*(cms.CMSAttribute.load(der) for der in self._constant_attrs[key]),
                                  simple_cms_attribute("message_digest", data_digest)])

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self._key.key_size // 8)
        return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


class ReceiptSeal:
    """Seals PDFs (PAdES B-B) with the registry's seal certificate."""

    def __init__(self, certificate: x509.Certificate, key: rsa.RSAPrivateKey, chain: tuple[x509.Certificate, ...] = ()):
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the receipt seal key must be an RSA key")
        self.certificate = certificate
        self._lock = threading.Lock()
        self._signer = _HeldKeySigner(certificate, key, chain)
        self._pdf_signer = _TimedPdfSigner(
            signers.PdfSignatureMetadata(field_name=FIELD, md_algorithm="sha256",
                                         subfilter=fields.SigSeedSubFilter.PADES,
                                         reason="Comprobante de registro de factura electrónica"),
            signer=self._signer)

    def seal(self, pdf: bytes, at: datetime | None = None) -> bytes:
        """The PDF with the seal's PAdES signature added, signed at `at` (aware; now by default)."""
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        with self._lock:  # the signer's asn1crypto objects parse lazily, not thread-safely
            self._pdf_signer.signing_time = at
            return self._pdf_signer.sign_pdf(writer, bytes_reserved=_RESERVED).getvalue()


class _TimedPdfSigner(signers.PdfSigner):
    """A PdfSigner whose signing time (the signature's /M) can be given, so the page can print it beforehand."""

    signing_time: datetime | None = None

    def init_signing_session(self, *args, **kwargs):
        session = super().init_signing_session(*args, **kwargs)
        if self.signing_time is not None:
            session.system_time = self.signing_time
        return session


def load_seal(cert_path: Path, key_path: Path) -> ReceiptSeal:
    """The seal from PEM files: the certificate (then any chain certificates) and its unencrypted key."""
    certificates = x509.load_pem_x509_certificates(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return ReceiptSeal(certificates[0], key, tuple(certificates[1:]))


def dev_seal(directory: Path) -> ReceiptSeal:
    """A development seal kept in directory, issued by a development CA on first use."""
    cert_path, key_path = directory / "seal.pem", directory / "seal.key.pem"
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:  # replicas sharing a state directory create it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cert_path.exists() or not key_path.exists():
            _issue_dev_seal(directory, cert_path)
    return load_seal(cert_path, key_path)


def _issue_dev_seal(directory: Path, cert_path: Path) -> None:
    """Issue a development CA and seal certificate into directory."""
    root = pki.issue_ca(pki.name("Ventanilla DEV Root CA", organization="Ventanilla (desarrollo)"))
    seal = pki.issue_leaf(root, pki.name("Sello de registro Ventanilla (DESARROLLO)",
                                         organization="Ventanilla (desarrollo)"), pki.Usage.SIGNING, days=825)
    (directory / "seal-root.pem").write_bytes(pki.pem(root.certificate))
    seal.write(directory, "seal")
    log.warning("created a development receipt seal", extra={"certificate": str(cert_path)})

"""The registry's electronic seal: PAdES signatures on receipts with pyHanko, the key held loaded."""
from __future__ import annotations

import asyncio
import fcntl
import io
import logging
import secrets
import threading
import weakref
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
from pyhanko.sign.general import get_pyca_cryptography_hash
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
        self._templates: dict[str, _CmsTemplate] = {}

    async def async_sign(self, data_digest: bytes, digest_algorithm: str, dry_run=False, use_pades=False,
                         timestamper=None, signed_attr_settings=None, is_pdf_sig=True, encap_content_info=None):
        """pyHanko's PAdES CMS container, prepared once: per receipt only the message digest and the signature
        bytes change, at fixed offsets of the same DER (asn1crypto took ~1 ms a receipt to rebuild and re-encode
        the signed attributes, the SignerInfo and the SignedData, docs/benchmarks.md)."""
        if (dry_run or not use_pades or timestamper is not None or not is_pdf_sig or encap_content_info is not None
                or (signed_attr_settings is not None and signed_attr_settings.cades_signed_attrs is not None)):
            return await super().async_sign(data_digest, digest_algorithm, dry_run, use_pades, timestamper,
                                             signed_attr_settings, is_pdf_sig, encap_content_info)
        template = self._templates.get(digest_algorithm)
        if template is None or len(data_digest) != len(template.marker):
            template = self._templates[digest_algorithm] = await _CmsTemplate.made(self, digest_algorithm,
                                                                                   len(data_digest))
        return template.filled(data_digest, self._key, digest_algorithm)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self._key.key_size // 8)
        return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


class _CmsTemplate:
    """A CMS signature pyHanko made for a marker digest: where the digest sits in its signed attributes and in the
    whole container, and where the signature over those attributes sits."""

    def __init__(self, marker: bytes, attributes: bytes, container: bytes, signature: bytes):
        self.marker, self._attributes, self._container = marker, attributes, container
        self._in_attributes = _only(attributes, marker)
        self._digest_at, self._signature_at = _only(container, marker), _only(container, signature)
        self._signature_length = len(signature)

    @classmethod
    async def made(cls, signer: signers.SimpleSigner, digest_algorithm: str, digest_length: int) -> "_CmsTemplate":
        """pyHanko's own container for a random marker digest."""
        marker = secrets.token_bytes(digest_length)
        made = await signers.SimpleSigner.async_sign(signer, marker, digest_algorithm, use_pades=True)
        signer_info = made["content"]["signer_infos"][0]
        return cls(marker, signer_info["signed_attrs"].untag().dump(), made.dump(), signer_info["signature"].native)

    def filled(self, digest: bytes, key: rsa.RSAPrivateKey, digest_algorithm: str) -> cms.ContentInfo:
        """The container for this digest, signed with the key."""
        at = self._in_attributes
        attributes = self._attributes[:at] + digest + self._attributes[at + len(digest):]
        signature = key.sign(attributes, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if len(signature) != self._signature_length:
            raise ValueError("the seal's signature changed length")
        container = bytearray(self._container)
        container[self._digest_at:self._digest_at + len(digest)] = digest
        container[self._signature_at:self._signature_at + len(signature)] = signature
        return cms.ContentInfo.load(bytes(container))


def _only(data: bytes, part: bytes) -> int:
    """Where part occurs in data, which must hold it exactly once."""
    at = data.find(part)
    if at < 0 or data.find(part, at + 1) >= 0:
        raise ValueError("a CMS template's variable part is not found exactly once")
    return at


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
        # One event loop for every seal, used under the lock: pyHanko's sign_pdf is asyncio.run of async_sign_pdf,
        # a new loop made and closed per receipt (~4 % of the seal's instructions, docs/benchmarks.md).
        self._loop = asyncio.new_event_loop()
        weakref.finalize(self, self._loop.close)

    def seal(self, pdf: bytes, at: datetime | None = None) -> bytes:
        """The PDF with the seal's PAdES signature added, signed at `at` (aware; now by default)."""
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        with self._lock:  # the signer's asn1crypto objects parse lazily, not thread-safely
            self._pdf_signer.signing_time = at
            signing = self._pdf_signer.async_sign_pdf(writer, bytes_reserved=_RESERVED)
            return self._loop.run_until_complete(signing).getvalue()  # in a task, in a copy of this thread's context


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

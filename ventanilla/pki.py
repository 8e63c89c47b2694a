"""Issuing X.509 material with `cryptography`: CAs, Spanish-style certificates, CRLs, OCSP answers (dev and tests)."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey


class Usage(Enum):
    """What a leaf certificate is for."""

    SIGNING = "signing"  # XAdES / PAdES signatures (non-repudiation)
    SERVER = "server"    # TLS server
    CLIENT = "client"    # TLS client authentication
    SERVICE = "service"  # an internal service: TLS server and client (mutual TLS between services)


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    certificate: x509.Certificate
    key: PrivateKey

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        """Write `<stem>.pem` (certificate) and `<stem>.key.pem` (unencrypted key, mode 0600)."""
        directory.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key.pem"
        cert_path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        key_path.touch(mode=0o600, exist_ok=True)
        key_path.write_bytes(self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        return cert_path, key_path


def new_key(bits: int = 2048) -> PrivateKey:
    """A fresh RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def name(common_name: str, *, organization: str = "", serial_number: str = "",
         organization_identifier: str = "", given_name: str = "", surname: str = "") -> x509.Name:
    """A subject name with the attributes Spanish CAs use (serialNumber, organizationIdentifier, ...)."""
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "ES")]
    for oid, value in ((NameOID.ORGANIZATION_NAME, organization),
                       (NameOID.ORGANIZATION_IDENTIFIER, organization_identifier),
                       (NameOID.SURNAME, surname), (NameOID.GIVEN_NAME, given_name),
                       (NameOID.SERIAL_NUMBER, serial_number), (NameOID.COMMON_NAME, common_name)):
        if value:
            attributes.append(x509.NameAttribute(oid, value))
    return x509.Name(attributes)


def _builder(subject: x509.Name, issuer: x509.Name, key: PrivateKey, not_before: datetime,
             not_after: datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))


def _window(not_before: datetime | None, days: int) -> tuple[datetime, datetime]:
    start = not_before or datetime.now(timezone.utc) - timedelta(minutes=5)
    return start, start + timedelta(days=days)


def issue_ca(subject: x509.Name, *, issuer: Issued | None = None, path_length: int | None = None,
             not_before: datetime | None = None, days: int = 3650) -> Issued:
    """A root CA (self-signed) or, with `issuer`, an intermediate CA."""
    key = new_key(3072 if issuer is None else 2048)
    start, end = _window(not_before, days)
    signing_key = issuer.key if issuer else key
    builder = (_builder(subject, issuer.certificate.subject if issuer else subject, key, start, end)
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                              critical=True))
    if issuer is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.key.public_key()), critical=False)
    return Issued(builder.sign(signing_key, hashes.SHA256()), key)


def issue_leaf(issuer: Issued, subject: x509.Name, usage: Usage, *, dns_names: tuple[str, ...] = (),
               ip_addresses: tuple[str, ...] = (), not_before: datetime | None = None, days: int = 730,
               crl_url: str = "", ocsp_url: str = "") -> Issued:
    """An end-entity certificate for signing, TLS server or TLS client use."""
    key = new_key()
    start, end = _window(not_before, days)
    signing = usage is Usage.SIGNING
    builder = (_builder(subject, issuer.certificate.subject, key, start, end)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, signing, not signing, False, False, False, False, False, False),
                              critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                              critical=False))
    if not signing:
        purposes = {Usage.SERVER: [ExtendedKeyUsageOID.SERVER_AUTH], Usage.CLIENT: [ExtendedKeyUsageOID.CLIENT_AUTH],
                    Usage.SERVICE: [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]}[usage]
        builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
    alternative = [x509.DNSName(d) for d in dns_names] + [x509.IPAddress(ipaddress.ip_address(a))
                                                          for a in ip_addresses]
    if alternative:
        builder = builder.add_extension(x509.SubjectAlternativeName(alternative), critical=False)
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if ocsp_url:
        access = x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    return Issued(builder.sign(issuer.key, hashes.SHA256()), key)


def issue_crl(issuer: Issued, revoked: tuple[x509.Certificate, ...] = (), *,
              revoked_at: datetime | None = None, days: int = 7) -> x509.CertificateRevocationList:
    """A CRL signed by `issuer` listing the given certificates as revoked."""
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.certificate.subject)
               .last_update(now - timedelta(minutes=5)).next_update(now + timedelta(days=days))
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                              critical=False)
               .add_extension(x509.CRLNumber(1), critical=False))
    for certificate in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(certificate.serial_number)
            .revocation_date(revoked_at or now - timedelta(minutes=1)).build())
    return builder.sign(issuer.key, hashes.SHA256())


def ocsp_response(issuer: Issued, request_der: bytes, revoked: dict[int, datetime]) -> bytes:
    """A DER OCSP response signed by `issuer` itself: REVOKED for serials in `revoked`, else GOOD."""
    request = ocsp.load_der_ocsp_request(request_der)
    now = datetime.now(timezone.utc)
    serial = request.serial_number
    status = ocsp.OCSPCertStatus.REVOKED if serial in revoked else ocsp.OCSPCertStatus.GOOD
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        request.issuer_name_hash, request.issuer_key_hash, serial, request.hash_algorithm, status,
        now - timedelta(minutes=1), now + timedelta(hours=1), revoked.get(serial), None)
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.certificate)
    for extension in request.extensions:  # echo the nonce
        builder = builder.add_extension(extension.value, extension.critical)
    response = builder.sign(issuer.key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


def pem(material: x509.Certificate | x509.CertificateRevocationList) -> bytes:
    """PEM bytes of a certificate or a CRL."""
    return material.public_bytes(serialization.Encoding.PEM)

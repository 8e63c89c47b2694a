"""Cryptographic check of a Facturae's enveloped XAdES-EPES signature with python-xmlsec."""
from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae import xades

_NS = {"ds": xades.DS}
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


@dataclass(frozen=True)
class SignedBy:
    """Who signed: the signer's certificate and the other certificates the signature carries."""

    certificate: x509.Certificate
    others: tuple[x509.Certificate, ...]


def _refuse(detail: str, key: ErrorKey = ErrorKey.SIGN_ERROR) -> DomainError:
    return DomainError(key, f"{key.description} {detail}")


def verify_signature(root: etree._Element) -> SignedBy:
    """Verify the root's ds:Signature cryptographically and return the signer's certificate."""
    signature = root.find(f"{{{xades.DS}}}Signature")
    if signature is None:
        raise _refuse("La factura no está firmada y la firma es obligatoria.")
    certificates = _embedded_certificates(signature)
    signer = _signer(signature, certificates)
    _check_covers_document(signature, root)
    _check_policy(signature)
    context = xmlsec.SignatureContext()
    try:
        xmlsec.tree.add_ids(root, ["Id"])
        context.key = xmlsec.Key.from_memory(signer.public_bytes(serialization.Encoding.PEM), xmlsec.KeyFormat.CERT_PEM)
        context.verify(signature)
    except xmlsec.Error:
        raise _refuse("La firma no corresponde al documento firmado o al certificado del firmante.") from None
    return SignedBy(signer, tuple(c for c in certificates if c is not signer))


def _embedded_certificates(signature: etree._Element) -> list[x509.Certificate]:
    """The X.509 certificates in ds:KeyInfo; none means this is not an X.509 signature."""
    values = signature.xpath("ds:KeyInfo//ds:X509Certificate/text()", namespaces=_NS)
    if not values:
        raise _refuse("La firma no incluye el certificado X.509 del firmante.", ErrorKey.SIGN_NOT_X509)
    try:
        return [x509.load_der_x509_certificate(base64.b64decode("".join(v.split()))) for v in values]
    except (ValueError, binascii.Error):
        raise _refuse("Un certificado de la firma no es un certificado X.509 válido.", ErrorKey.SIGN_NOT_X509) from None


def _signer(signature: etree._Element, certificates: list[x509.Certificate]) -> x509.Certificate:
    """The certificate xades:SigningCertificate designates by digest (the first one when absent)."""
    cert_digests = signature.xpath("ds:Object//*[local-name()='SigningCertificate']/*[local-name()='Cert']"
                                   "/*[local-name()='CertDigest']", namespaces=_NS)
    if not cert_digests:
        return certificates[0]
    for cert_digest in cert_digests:
        method = cert_digest.find("ds:DigestMethod", _NS)
        digest = _DIGESTS.get((method.get("Algorithm", "") if method is not None else "").rsplit("#", 1)[-1])
        expected = "".join((cert_digest.findtext("ds:DigestValue", namespaces=_NS) or "").split())
        for certificate in certificates:
            der = certificate.public_bytes(serialization.Encoding.DER)
            if digest is not None and base64.b64encode(digest(der).digest()).decode() == expected:
                return certificate
    raise _refuse("El certificado indicado en SigningCertificate no está en la firma.")


def _check_covers_document(signature: etree._Element, root: etree._Element) -> None:
    """The signature must sign the whole invoice (enveloped) and its signed properties."""
    references = signature.findall("ds:SignedInfo/ds:Reference", _NS)
    whole = {None, "", f"#{root.get('Id')}" if root.get("Id") else ""}
    if not any(r.get("URI") in whole for r in references):
        raise _refuse("La firma no abarca el documento completo (firma enveloped).")
    signed_properties = signature.xpath("ds:Object//*[local-name()='SignedProperties']/@Id", namespaces=_NS)
    targets = {f"#{value}" for value in signed_properties}
    if not any(r.get("Type") == xades.SIGNED_PROPERTIES_TYPE or r.get("URI") in targets for r in references):
        raise _refuse("La firma no es XAdES: sus propiedades firmadas no están firmadas.")


def _check_policy(signature: etree._Element) -> None:
    """XAdES-EPES under the Facturae signature policy v3.1, with the policy's known digest."""
    policy = signature.xpath("ds:Object//*[local-name()='SignaturePolicyId']", namespaces=_NS)
    identifier = policy[0].xpath("string(*[local-name()='SigPolicyId']/*[local-name()='Identifier'])") if policy else ""
    if identifier.strip() != xades.FACTURAE_POLICY_ID:
        raise _refuse("La firma no es XAdES-EPES con la política de firma de Facturae v3.1.")
    algorithm = policy[0].xpath("string(*[local-name()='SigPolicyHash']/ds:DigestMethod/@Algorithm)", namespaces=_NS)
    value = policy[0].xpath("string(*[local-name()='SigPolicyHash']/ds:DigestValue)", namespaces=_NS)
    if algorithm == xades.SHA1 and "".join(value.split()) != xades.FACTURAE_POLICY_SHA1_B64:
        raise _refuse("La huella de la política de firma no es la de Facturae v3.1.")

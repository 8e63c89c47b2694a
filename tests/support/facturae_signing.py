"""Sign a Facturae with an enveloped XAdES-EPES signature (Facturae policy v3.1) using python-xmlsec.

For tests, benchmarks and the load kit: the registry never signs invoices, it verifies them.
"""
from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import datetime, timezone

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from ventanilla.facturae import xades
from ventanilla.facturae.xml import parse_untrusted


def _e(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attributes) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attributes)
    element.text = text
    return element


def _digest(parent: etree._Element, value: bytes, algorithm: str = "http://www.w3.org/2001/04/xmlenc#sha256") -> None:
    _e(parent, xades.DS, "DigestMethod", Algorithm=algorithm)
    _e(parent, xades.DS, "DigestValue", base64.b64encode(value).decode())


def _qualifying_properties(signature_id: str, reference_id: str, certificate: x509.Certificate,
                           signing_time: datetime) -> etree._Element:
    """The xades:QualifyingProperties of an EPES signature under the Facturae policy."""
    qualifying = etree.Element(f"{{{xades.XADES}}}QualifyingProperties", {"Target": f"#{signature_id}"},
                               nsmap={"xades": xades.XADES, "ds": xades.DS})
    signed = _e(qualifying, xades.XADES, "SignedProperties", Id=f"{signature_id}-SignedProperties")
    props = _e(signed, xades.XADES, "SignedSignatureProperties")
    _e(props, xades.XADES, "SigningTime", signing_time.isoformat(timespec="seconds"))
    cert = _e(_e(props, xades.XADES, "SigningCertificate"), xades.XADES, "Cert")
    _digest(_e(cert, xades.XADES, "CertDigest"),
            hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest())
    issuer_serial = _e(cert, xades.XADES, "IssuerSerial")
    _e(issuer_serial, xades.DS, "X509IssuerName", certificate.issuer.rfc4514_string())
    _e(issuer_serial, xades.DS, "X509SerialNumber", str(certificate.serial_number))
    policy = _e(_e(props, xades.XADES, "SignaturePolicyIdentifier"), xades.XADES, "SignaturePolicyId")
    policy_id = _e(policy, xades.XADES, "SigPolicyId")
    _e(policy_id, xades.XADES, "Identifier", xades.FACTURAE_POLICY_ID)
    _e(policy_id, xades.XADES, "Description", xades.FACTURAE_POLICY_DESCRIPTION)
    _digest(_e(policy, xades.XADES, "SigPolicyHash"), base64.b64decode(xades.FACTURAE_POLICY_SHA1_B64), xades.SHA1)
    role = _e(_e(props, xades.XADES, "SignerRole"), xades.XADES, "ClaimedRoles")
    _e(role, xades.XADES, "ClaimedRole", "emisor")
    data_format = _e(_e(signed, xades.XADES, "SignedDataObjectProperties"), xades.XADES, "DataObjectFormat",
                     ObjectReference=f"#{reference_id}")
    _e(data_format, xades.XADES, "Description", "Factura electrónica")
    _e(data_format, xades.XADES, "MimeType", "text/xml")
    return qualifying


def sign_facturae(document: bytes, certificate: x509.Certificate, key, *, signing_time: datetime | None = None,
                  chain: tuple[x509.Certificate, ...] = ()) -> bytes:
    """Return the Facturae with an enveloped XAdES-EPES signature appended to its root."""
    root = parse_untrusted(document)
    signature_id = f"Signature-{uuid.uuid4()}"
    reference_id = f"Reference-{uuid.uuid4()}"
    signature = xmlsec.template.create(root, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256,
                                       name=signature_id, ns="ds")
    signature.set("Id", signature_id)
    root.append(signature)
    document_ref = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri="", id=reference_id)
    xmlsec.template.add_transform(document_ref, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri=f"#{signature_id}-SignedProperties",
                                  type=xades.SIGNED_PROPERTIES_TYPE)
    x509_data = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    for cert in (certificate, *chain):
        _e(x509_data, xades.DS, "X509Certificate", base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode())
    moment = signing_time or datetime.now(timezone.utc)
    signed_object = _e(signature, xades.DS, "Object")
    signed_object.append(_qualifying_properties(signature_id, reference_id, certificate, moment))
    xmlsec.tree.add_ids(root, ["Id"])
    context = xmlsec.SignatureContext()
    pem = serialization.Encoding.PEM
    context.key = xmlsec.Key.from_memory(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()), xmlsec.KeyFormat.PEM)
    context.sign(signature)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

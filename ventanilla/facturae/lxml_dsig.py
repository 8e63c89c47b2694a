"""XML-DSig verification of the usual Facturae signature shapes with lxml's C14N and cryptography, before xmlsec.

xmlsec canonicalises the whole-document reference (URI="" with the enveloped transform) through a node set, walking
each node's ancestors: ~5 of its ~6 ms for a 100 KB invoice. Here the document is copied, the signature taken out and
the copy canonicalised in one pass (~1.5 ms). This check only ever accepts: a shape, transform or algorithm it does
not know, an ambiguous identifier, or any mismatch answers False, and xmlsec then judges the signature as before.
"""
from __future__ import annotations

import base64
import binascii
import copy
import hmac

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from ventanilla.facturae import xades

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
_CANONICAL = {  # algorithm: (exclusive, with comments)
    C14N: (False, False),
    C14N + "#WithComments": (False, True),
    EXC_C14N: (True, False),
    EXC_C14N + "WithComments": (True, True),
}
_DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1,
    "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashes.SHA512,
}
_RSA = {
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512,
}
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
MIN_RSA_BITS = 2048  # a shorter key is left to xmlsec's own policy


class _Unknown(Exception):
    """Something this check does not handle: xmlsec decides."""


def verified_in_lxml(signature: etree._Element, root: etree._Element, certificate: x509.Certificate) -> bool:
    """True when every reference of the root's enveloped signature and its signature value verify with the
    certificate's RSA key; False when they do not or when the signature is not of a shape this check knows."""
    try:
        return _verified(signature, root, certificate)
    except _Unknown:
        return False


def _verified(signature: etree._Element, root: etree._Element, certificate: x509.Certificate) -> bool:
    if signature.getparent() is not root:
        raise _Unknown
    parts = _children(signature)
    names = [_name(p) for p in parts]
    optional = names[3:] if names[2:3] == ["KeyInfo"] else names[2:]
    if names[:2] != ["SignedInfo", "SignatureValue"] or any(name != "Object" for name in optional):
        raise _Unknown
    signed_info, signature_value = parts[:2]
    steps = _children(signed_info)
    if [_name(s) for s in steps[:2]] != ["CanonicalizationMethod", "SignatureMethod"] or len(steps) < 3:
        raise _Unknown
    method, signature_method, references = steps[0], steps[1], steps[2:]
    if len(method) or len(signature_method) or len(signature_value) or any(_name(r) != "Reference" for r in references):
        raise _Unknown  # (len: any child node, comments included)
    whole = _Whole(signature, root)
    if not all(_digest_matches(reference, root, whole) for reference in references):
        return False
    exclusive, comments = _known(_CANONICAL, method.get("Algorithm"))
    _no_inherited_xml_attributes(signed_info, exclusive)
    canonical = etree.tostring(signed_info, method="c14n", exclusive=exclusive, with_comments=comments)
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_RSA_BITS:
        raise _Unknown
    try:
        key.verify(_base64(signature_value.text), canonical, padding.PKCS1v15(),
                   _known(_RSA, signature_method.get("Algorithm"))())
    except InvalidSignature:
        return False
    return True


class _Whole:
    """The whole document without the signature, canonicalised (URI="" with the enveloped transform), made once."""

    def __init__(self, signature: etree._Element, root: etree._Element):
        self._signature, self._root, self._canonical = signature, root, None

    def canonical(self) -> bytes:
        if self._canonical is None:
            tree = copy.deepcopy(self._root.getroottree())
            twin = tree.getroot()[self._root.index(self._signature)]
            tail, before = twin.tail or "", twin.getprevious()
            if before is not None:  # the signature goes, its tail (a text node of the parent) stays
                before.tail = (before.tail or "") + tail
            else:
                twin.getparent().text = (twin.getparent().text or "") + tail
            twin.tail = None
            twin.getparent().remove(twin)
            self._canonical = etree.tostring(tree, method="c14n", with_comments=False)
        return self._canonical


def _digest_matches(reference: etree._Element, root: etree._Element, whole: _Whole) -> bool:
    parts = _children(reference)
    transforms: list[str] = []
    if parts and _name(parts[0]) == "Transforms":
        for transform in _children(parts[0]):
            if _name(transform) != "Transform" or len(transform):
                raise _Unknown
            transforms.append(transform.get("Algorithm"))
        parts = parts[1:]
    if [_name(p) for p in parts] != ["DigestMethod", "DigestValue"] or len(parts[0]) or len(parts[1]):
        raise _Unknown
    uri = reference.get("URI")
    if uri == "" and transforms in ([xades.ENVELOPED], [xades.ENVELOPED, C14N]):
        data = whole.canonical()
    elif uri and len(uri) > 1 and uri.startswith("#") and not uri.startswith("#xpointer(") and len(transforms) <= 1:
        exclusive, _ = _known(_CANONICAL, transforms[0]) if transforms else (False, False)
        target = _identified(root, uri[1:])
        _no_inherited_xml_attributes(target, exclusive)
        data = etree.tostring(target, method="c14n", exclusive=exclusive, with_comments=False)
    else:
        raise _Unknown
    digest = hashes.Hash(_known(_DIGESTS, parts[0].get("Algorithm"))())
    digest.update(data)
    return hmac.compare_digest(digest.finalize(), _base64(parts[1].text))


def _identified(root: etree._Element, identifier: str) -> etree._Element:
    """The element whose Id attribute holds the identifier, if it is the only attribute xmlsec (`add_ids(root,
    ["Id"])`: any namespace) or libxml2 (xml:id) could take for it."""
    candidates = [a for a in root.xpath("//@*[. = $value]", value=identifier)
                  if a.attrname.rsplit("}", 1)[-1] == "Id" or a.attrname == f"{_XML_NS}id"]
    if len(candidates) != 1 or candidates[0].attrname != "Id":
        raise _Unknown
    return candidates[0].getparent()


def _children(element: etree._Element) -> list[etree._Element]:
    return list(element.iterchildren(etree.Element))


def _name(element: etree._Element) -> str | None:
    """The local name of an XML-DSig element; None for any other namespace."""
    name = etree.QName(element)
    return name.localname if name.namespace == xades.DS else None


def _known(table: dict, algorithm: str | None):
    if algorithm not in table:
        raise _Unknown
    return table[algorithm]


def _base64(text: str | None) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (ValueError, binascii.Error):
        raise _Unknown from None


def _no_inherited_xml_attributes(element: etree._Element, exclusive: bool) -> None:
    """Inclusive C14N of a subtree inherits the ancestors' xml:* attributes, which lxml's serialiser leaves out."""
    if not exclusive and any(k.startswith(_XML_NS) for a in element.iterancestors() for k in a.attrib):
        raise _Unknown

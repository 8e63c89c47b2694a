"""The holder's NIF in a Spanish X.509 certificate: ETSI attributes, FNMT directoryName OIDs, CN forms."""
from __future__ import annotations

import re

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from ventanilla.domain.nif import is_valid, normalize

FNMT_PERSON_NIF = ObjectIdentifier("1.3.6.1.4.1.5734.1.4")  # SubjectAltName directoryName: holder's NIF
FNMT_ENTITY_CIF = ObjectIdentifier("1.3.6.1.4.1.5734.1.7")  # SubjectAltName directoryName: entity's CIF
UID = ObjectIdentifier("0.9.2342.19200300.100.1.1")          # ACCV and others: the holder's NIF
# ETSI EN 319 412-1 semantics identifiers (IDC, PAS, TIN, VAT, NTR) and older national prefixes.
_PREFIX = re.compile(r"^(?:(?:IDC|PAS|TIN|VAT|NTR|NIF|CIF|DNI)([A-Z]{2})[-:]?|ES-?)")
_CN_REPRESENTED = re.compile(r"\(R:\s*([0-9A-Z][0-9A-Z.\-]{7,11})\s*\)", re.IGNORECASE)
_CN_NIF = re.compile(r"(?:^|[\s\-,/])(?:NIF|CIF|DNI|NIE)[\s:]+([0-9A-Z][0-9A-Z.\-]{7,11})\b", re.IGNORECASE)
_CN_LEADING = re.compile(r"^([0-9XYZ][0-9]{7}[A-Z])\s")  # FNMT: "99999999R NOMBRE APELLIDOS (R: …)"


def nif_from_value(raw: str) -> str | None:
    """The Spanish NIF in one attribute value ("IDCES-99999999R", "VATES-B…", "99999999R"), else None."""
    value = normalize(raw) if isinstance(raw, str) else ""
    match = _PREFIX.match(value)
    if match and match.group(1) not in (None, "ES"):
        return None  # another country's identifier: not a Spanish NIF
    candidate = value[match.end():] if match else value
    return candidate if is_valid(candidate) else None


def _attributes(name: x509.Name, oid: ObjectIdentifier) -> list[str]:
    return [a.value for a in name.get_attributes_for_oid(oid) if isinstance(a.value, str)]


def _directory_names(certificate: x509.Certificate) -> list[x509.Name]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (x509.ExtensionNotFound, ValueError):
        return []
    return extension.value.get_values_for_type(x509.DirectoryName)


def _from_san(certificate: x509.Certificate, oid: ObjectIdentifier) -> list[str]:
    return [value for name in _directory_names(certificate) for value in _attributes(name, oid)]


def _cn(subject: x509.Name, pattern: re.Pattern) -> list[str]:
    return [m.group(1) for cn in _attributes(subject, NameOID.COMMON_NAME) if (m := pattern.search(cn))]


def candidates(certificate: x509.Certificate) -> list[tuple[str, str]]:
    """(source, raw value) in priority order: the entity's identifiers first, then the person's."""
    subject = certificate.subject
    sources = [
        ("organizationIdentifier", _attributes(subject, NameOID.ORGANIZATION_IDENTIFIER)),
        ("fnmt-san-cif", _from_san(certificate, FNMT_ENTITY_CIF)),
        ("cn-represented", _cn(subject, _CN_REPRESENTED)),
        ("serialNumber", _attributes(subject, NameOID.SERIAL_NUMBER)),
        ("fnmt-san-nif", _from_san(certificate, FNMT_PERSON_NIF)),
        ("uid", _attributes(subject, UID)),
        ("cn-nif", _cn(subject, _CN_NIF)),
        ("cn-leading", _cn(subject, _CN_LEADING)),
    ]
    return [(source, value) for source, values in sources for value in values]


def certificate_nif(certificate: x509.Certificate) -> tuple[str, str] | None:
    """(NIF, where it was found) for the holder of a certificate; the entity's NIF for representatives."""
    for source, raw in candidates(certificate):
        nif = nif_from_value(raw)
        if nif is not None:
            return nif, source
    return None


def der_nif(der: bytes) -> tuple[str, str] | None:
    """certificate_nif of a DER certificate; None when the bytes are not a certificate."""
    try:
        return certificate_nif(x509.load_der_x509_certificate(der))
    except ValueError:
        return None

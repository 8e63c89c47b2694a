"""The caller's NIF from each Spanish certificate format, with certificates generated here."""
from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ventanilla import certnif

O, SN, OI, CN, UID = (NameOID.ORGANIZATION_NAME, NameOID.SERIAL_NUMBER, NameOID.ORGANIZATION_IDENTIFIER,
                      NameOID.COMMON_NAME, certnif.UID)


@functools.cache
def _key():
    return ec.generate_private_key(ec.SECP256R1())


def certificate(subject: list[tuple], san: list[list[tuple]] = ()) -> x509.Certificate:
    """A self-signed certificate with these subject attributes and SubjectAltName directoryNames."""
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ES")] + [x509.NameAttribute(o, v) for o, v in subject])
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(_key().public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + timedelta(days=1)))
    if san:
        names = [x509.DirectoryName(x509.Name([x509.NameAttribute(o, v) for o, v in d])) for d in san]
        builder = builder.add_extension(x509.SubjectAlternativeName(names + [x509.RFC822Name("a@b.es")]), False)
    return builder.sign(_key(), hashes.SHA256())


@pytest.mark.parametrize("subject, san, expected", [
    # ETSI EN 319 412-1 natural person: serialNumber with the IDC semantics identifier
    ([(CN, "ESPAÑOL ESPAÑOL JUAN - 99999999R"), (SN, "IDCES-99999999R")], [], ("99999999R", "serialNumber")),
    ([(SN, "IDCES-X1234567L"), (CN, "PEREZ JUAN")], [], ("X1234567L", "serialNumber")),      # NIE holder
    ([(SN, "TINES-99999999R"), (CN, "x")], [], ("99999999R", "serialNumber")),
    ([(SN, "99999999R"), (CN, "x")], [], ("99999999R", "serialNumber")),                     # older, bare
    ([(SN, "99.999.999-r"), (CN, "x")], [], ("99999999R", "serialNumber")),
    # legal person / seal: organizationIdentifier (2.5.4.97)
    ([(O, "EMPRESA SL"), (OI, "VATES-B12345674"), (CN, "EMPRESA SL")], [], ("B12345674", "organizationIdentifier")),
    ([(OI, "NTRES-B12345674"), (CN, "EMPRESA SL")], [], ("B12345674", "organizationIdentifier")),
    # representative: the person's serialNumber and the entity's organizationIdentifier; the entity wins
    ([(O, "EMPRESA SL"), (OI, "VATES-B12345674"), (SN, "IDCES-99999999R"),
      (CN, "99999999R JUAN ESPAÑOL (R: B12345674)")], [], ("B12345674", "organizationIdentifier")),
    # FNMT: the CN forms of older certificates
    ([(CN, "NOMBRE ESPAÑOL ESPAÑOL JUAN - NIF 99999999R")], [], ("99999999R", "cn-nif")),
    ([(CN, "99999999R JUAN ESPAÑOL (R: B12345674)")], [], ("B12345674", "cn-represented")),
    ([(CN, "ENTIDAD EJEMPLO - CIF B12345674")], [], ("B12345674", "cn-nif")),
    ([(CN, "99999999R JUAN ESPAÑOL")], [], ("99999999R", "cn-leading")),
    # FNMT SubjectAltName directoryName (1.3.6.1.4.1.5734.1.x): NIF of the person, CIF of the entity
    ([(CN, "JUAN ESPAÑOL")], [[(x509.ObjectIdentifier("1.3.6.1.4.1.5734.1.1"), "JUAN"),
                                (certnif.FNMT_PERSON_NIF, "99999999R")]], ("99999999R", "fnmt-san-nif")),
    ([(CN, "JUAN ESPAÑOL")], [[(certnif.FNMT_PERSON_NIF, "IDCES-99999999R"),
                                (certnif.FNMT_ENTITY_CIF, "VATES-Q8550003A")]], ("Q8550003A", "fnmt-san-cif")),
    # ACCV and others: the NIF in the UID attribute
    ([(UID, "99999999R"), (CN, "JUAN")], [], ("99999999R", "uid")),
])
def test_each_format_gives_the_holders_nif(subject, san, expected):
    assert certnif.certificate_nif(certificate(subject, san)) == expected


@pytest.mark.parametrize("subject, san", [
    ([(CN, "www.example.es"), (O, "EXAMPLE SL")], []),                          # a server certificate
    ([(SN, "IDCES-99999999A"), (CN, "x")], []),                                 # wrong check letter
    ([(OI, "VATES-B12345678"), (CN, "x")], []),                                  # wrong CIF control digit
    ([(OI, "VATFR-12345678901"), (SN, "IDCFR-99999999R"), (CN, "x")], []),      # another country's ids
    ([(SN, "PASES-AB1234567"), (CN, "x")], []),                                 # a passport number
    ([(CN, "JUAN - NIF 99999999A")], []),
    ([(CN, "x")], [[(certnif.FNMT_PERSON_NIF, "NOT-A-NIF")]]),
])
def test_no_valid_spanish_nif_gives_none(subject, san):
    assert certnif.certificate_nif(certificate(subject, san)) is None


def test_an_invalid_attribute_falls_through_to_the_next_one():
    cert = certificate([(OI, "VATES-B12345678"), (SN, "IDCES-99999999R"), (CN, "x")])
    assert certnif.certificate_nif(cert) == ("99999999R", "serialNumber")


def test_der_nif_reads_der_and_refuses_garbage():
    der = certificate([(SN, "IDCES-99999999R")]).public_bytes(serialization.Encoding.DER)
    assert certnif.der_nif(der) == ("99999999R", "serialNumber")
    assert certnif.der_nif(b"\x30\x03\x02\x01\x00") is None
    assert certnif.der_nif(b"") is None

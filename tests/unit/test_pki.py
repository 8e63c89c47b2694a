"""The X.509 issuing helpers: chains verify, usages are right, CRLs list what they revoke."""
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ventanilla import pki


def test_chain_usages_and_crl():
    root = pki.issue_ca(pki.name("Root", organization="Ventanilla"))
    issuing = pki.issue_ca(pki.name("Issuing"), issuer=root, path_length=0)
    person = pki.issue_leaf(issuing, pki.name("JUAN - 99999999R", serial_number="IDCES-99999999R"), pki.Usage.SIGNING)
    server = pki.issue_leaf(issuing, pki.name("localhost"), pki.Usage.SERVER, dns_names=("localhost",),
                            ip_addresses=("127.0.0.1",))
    issuing.certificate.verify_directly_issued_by(root.certificate)
    person.certificate.verify_directly_issued_by(issuing.certificate)
    assert person.certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "IDCES-99999999R"
    assert person.certificate.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
    eku = server.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    crl = pki.issue_crl(issuing, (person.certificate,))
    assert crl.is_signature_valid(issuing.key.public_key())
    assert crl.get_revoked_certificate_by_serial_number(person.certificate.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(server.certificate.serial_number) is None


def test_validity_window_can_be_placed_in_the_past():
    root = pki.issue_ca(pki.name("Root"))
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    expired = pki.issue_leaf(root, pki.name("old"), pki.Usage.SIGNING, not_before=start, days=30)
    assert expired.certificate.not_valid_after_utc == start + timedelta(days=30)


def test_write_keeps_the_key_private(tmp_path):
    issued = pki.issue_ca(pki.name("Root"))
    cert_path, key_path = issued.write(tmp_path, "root")
    assert x509.load_pem_x509_certificate(cert_path.read_bytes()) == issued.certificate
    assert key_path.stat().st_mode & 0o077 == 0

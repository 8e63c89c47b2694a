"""XAdES-EPES signatures: a throw-away PKI's signers and the public signed samples, through FacturaeIntake."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.intake import FacturaeIntake
from ventanilla.facturae.schema import FacturaeSchemas
from ventanilla.facturae.trust import CertificateChecker, TrustMaterial

SCHEMAS = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "facturae" / "schemas"
FACE = "v3.2.2/invopop_invoice-face_unsigned.xml"
NOW = datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def schemas():
    return FacturaeSchemas.load(SCHEMAS)


@pytest.fixture
def intake(signing_pki, schemas):
    checker = CertificateChecker(TrustMaterial.load(signing_pki.trust_store, signing_pki.crls))
    return FacturaeIntake(schemas, checker, require_signature=True)


def refusal(intake: FacturaeIntake, data: bytes) -> DomainError:
    with pytest.raises(DomainError) as caught:
        intake.accept(data, NOW)
    return caught.value


def test_a_good_signature_is_accepted_and_the_signing_time_read(intake, signing_pki, sample):
    now = datetime.now(timezone.utc)  # not NOW: the session's PKI may be issued minutes after this module loads
    moment = now.replace(microsecond=0) - timedelta(minutes=1)
    document = intake.accept(signing_pki.sign(sample(FACE), signing_time=moment), now)
    assert document.signed and document.signing_time == moment and document.supplier_nif == "B23103039"


@pytest.mark.parametrize(("signer", "key"), [
    ("expired", ErrorKey.SIGN_EXPIRED),
    ("not_yet_valid", ErrorKey.SIGN_NOT_YET_VALID),
    ("revoked", ErrorKey.SIGN_REVOKED),
])
def test_bad_signers(intake, signing_pki, sample, signer, key):
    assert refusal(intake, signing_pki.sign(sample(FACE), getattr(signing_pki, signer))).key is key


def test_valid_when_signed_but_expired_at_reception(intake, signing_pki, sample):
    signed_while_valid = NOW - timedelta(days=380)
    error = refusal(intake, signing_pki.sign(sample(FACE), signing_pki.expired, signed_while_valid))
    assert error.key is ErrorKey.SIGN_EXPIRED and "recepción" in error.detail


def test_signing_time_before_the_certificate(intake, signing_pki, sample):
    error = refusal(intake, signing_pki.sign(sample(FACE), signing_time=NOW - timedelta(days=2)))
    assert error.key is ErrorKey.SIGN_NOT_YET_VALID and "firma" in error.detail


def test_revocation_unknown_when_required_and_no_crl(signing_pki, schemas, sample):
    checker = CertificateChecker(TrustMaterial.load(signing_pki.trust_store), revocation_policy="require")
    intake = FacturaeIntake(schemas, checker)
    assert refusal(intake, signing_pki.sign(sample(FACE))).key is ErrorKey.SIGN_UNKNOWN
    lenient = FacturaeIntake(schemas, CertificateChecker(TrustMaterial.load(signing_pki.trust_store), "soft-fail"))
    lenient.accept(signing_pki.sign(sample(FACE)), NOW)


def test_untrusted_root(tmp_path, schemas, signing_pki, sample):
    from tests.support.signing_pki import build_signing_pki

    other = build_signing_pki(tmp_path)
    intake = FacturaeIntake(schemas, CertificateChecker(TrustMaterial.load(other.trust_store, other.crls)))
    error = refusal(intake, signing_pki.sign(sample(FACE)))
    assert error.key is ErrorKey.SIGN_ERROR and "confianza" in error.detail


def test_tampered_after_signing(intake, signing_pki, sample):
    signed = signing_pki.sign(sample(FACE))
    tampered = signed.replace(b"<InvoiceTotal>", b"<InvoiceTotal>1", 1)
    assert tampered != signed
    assert refusal(intake, tampered).key is ErrorKey.SIGN_ERROR


def test_unsigned_refused_when_required_and_accepted_when_not(intake, schemas, sample):
    error = refusal(intake, sample(FACE))
    assert error.key is ErrorKey.SIGN_ERROR and "no está firmada" in error.detail
    FacturaeIntake(schemas, None, require_signature=False).accept(sample(FACE), NOW)


def test_no_trust_store_configured(schemas, signing_pki, sample):
    intake = FacturaeIntake(schemas, None, require_signature=True)
    assert refusal(intake, signing_pki.sign(sample(FACE))).key is ErrorKey.TRUSTER


def test_signature_without_certificate_is_not_x509(intake, signing_pki, sample):
    root = etree.fromstring(signing_pki.sign(sample(FACE)))
    for data in root.iter("{http://www.w3.org/2000/09/xmldsig#}X509Data"):
        data.getparent().replace(data, etree.Element("{http://www.w3.org/2000/09/xmldsig#}KeyName"))
    assert refusal(intake, etree.tostring(root)).key is ErrorKey.SIGN_NOT_X509


def test_signature_without_the_facturae_policy(intake, signing_pki, sample):
    signed = signing_pki.sign(sample(FACE)).replace(b"politica_de_firma_formato_facturae_v3_1", b"otra_politica")
    error = refusal(FacturaeIntake(None, intake._checker), signed)
    assert error.key is ErrorKey.SIGN_ERROR and "EPES" in error.detail


@pytest.mark.parametrize(("name", "key"), [
    ("v3.2/oca_facturae_01_signed.xsig", ErrorKey.SIGN_EXPIRED),          # expired before SigningTime
    ("v3.2.1/fawno_factura-prueba-v1-2-0_signed.xsig", ErrorKey.SIGN_EXPIRED),  # valid when signed, not now
    ("v3.2.2/mgmerino_signed_invoice.xml", ErrorKey.SIGN_ERROR),         # self-signed, untrusted
    ("v3.2.2/invopop_invoice-face_signed_BROKEN.xml", ErrorKey.SIGN_ERROR),  # digests broken
])
def test_public_signed_samples(intake, sample, name, key):
    error = refusal(FacturaeIntake(None, intake._checker), sample(name))
    assert error.key is key, error.detail


@pytest.mark.parametrize("name", [
    "v3.2/oca_facturae_01_signed.xsig",
    "v3.2.1/fawno_factura-prueba-v1-2-0_signed.xsig",
    "v3.2.2/mgmerino_signed_invoice.xml",
])
def test_intact_public_samples_verify_cryptographically(sample, name):
    from ventanilla.facturae.signature import verify_signature
    from ventanilla.facturae.xml import parse_untrusted

    signed_by = verify_signature(parse_untrusted(sample(name)))
    assert signed_by.certificate.subject.rfc4514_string()


def test_broken_public_sample_fails_cryptographically(sample):
    from ventanilla.facturae.signature import verify_signature
    from ventanilla.facturae.xml import parse_untrusted

    with pytest.raises(DomainError) as caught:
        verify_signature(parse_untrusted(sample("v3.2.2/invopop_invoice-face_signed_BROKEN.xml")))
    assert caught.value.key is ErrorKey.SIGN_ERROR and "no corresponde" in caught.value.detail


def test_concurrent_checks_on_fresh_trust_material(signing_pki):
    """asn1crypto parses lazily and not thread-safely: the checker serialises the shared material."""
    import sys
    import threading

    from ventanilla.facturae.signature import verify_signature
    from ventanilla.facturae.xml import parse_untrusted

    signed_by = verify_signature(parse_untrusted(signing_pki.sign((Path(__file__).resolve().parents[3] / ".." /
                                                                    "shared/reference/facturae/samples" / FACE).read_bytes())))
    failures = []

    def check(barrier) -> None:
        barrier.wait()
        try:
            checker.check(signed_by.certificate, signed_by.others, None, NOW)
        except Exception as error:  # noqa: BLE001 - any exception is the failure this test looks for
            failures.append(repr(error))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so that an unguarded race shows
    try:
        for _ in range(10):  # each round on trust material whose lazily parsed parts are still unparsed
            checker = CertificateChecker(TrustMaterial.load(signing_pki.trust_store, signing_pki.crls))
            barrier = threading.Barrier(16)
            threads = [threading.Thread(target=check, args=(barrier,)) for _ in range(16)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []

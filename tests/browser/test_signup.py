"""Certificate login and sign-up with a signed acceptance document (manual 3.2, 4.1), refusals included."""
from datetime import datetime, timedelta, timezone

from tests.support.portal import _holder


def fill_first_step(visitor, email="alta@ejemplo.es", third_party=True):
    page = visitor.page
    page.get_by_label("Correo electrónico principal").fill(email)
    page.get_by_label("Acepto los términos y condiciones de uso de datos").check()
    if third_party:
        page.get_by_label("Servicios a terceros").check()
    page.get_by_role("button", name="Siguiente: firmar").click()


def download_document(visitor) -> bytes:
    with visitor.page.expect_download() as download:
        visitor.page.get_by_role("link", name="Descargue el documento de alta (XML)").click()
    return download.value.path().read_bytes()


def upload_signed(visitor, signed: bytes) -> None:
    visitor.page.get_by_label("Documento de alta firmado (XML con firma XAdES)").set_input_files(
        {"name": "alta.xsig", "mimeType": "application/xml", "buffer": signed})
    visitor.page.get_by_role("button", name="Firmar y guardar").click()


def sections(visitor) -> list[str]:
    """The links of the section navigation, as shown."""
    return visitor.page.get_by_role("navigation", name="Secciones").get_by_role("link").all_inner_texts()


EVERY_SECTION = ["Inicio", "Plataformas", "Certificados", "Autorizados", "Mi cuenta", "Validar factura"]


def test_login_page_and_an_unknown_nif_is_offered_the_sign_up(site, visit):
    nif = site.nifs.company()
    visitor = visit(nif)
    visitor.go("/acceso")
    visitor.look("login")
    visitor.page.get_by_role("button", name="Acceder con certificado electrónico").click()
    visitor.look("home-unknown")
    assert sections(visitor) == ["Inicio", "Mi cuenta"]  # the integrator's sections would only lead here
    visitor.page.get_by_role("button", name="Dame de alta como integrador").click()
    assert visitor.page.get_by_role("heading", level=1).inner_text() == "Dame de alta como integrador"
    assert visitor.page.get_by_label("NIF").input_value() == nif
    assert sections(visitor) == ["Inicio", "Mi cuenta"]
    visitor.look("signup")


def test_login_without_a_certificate_is_refused_with_a_message(visit):
    visitor = visit()
    visitor.login()
    assert "no ha presentado un certificado electrónico" in visitor.page.get_by_role("alert").inner_text()
    visitor.look("login-refused")


def test_sign_up_with_the_downloaded_document_signed(site, visit):
    nif = site.nifs.company()
    visitor = visit(nif).login()
    visitor.go("/alta")
    visitor.page.get_by_role("button", name="Siguiente: firmar").click()  # nothing filled: errors next to fields
    assert "obligatorio" in visitor.error_of("email")
    assert "Debe aceptar los términos" in visitor.error_of("accepted_terms")
    visitor.look("signup-errors")
    fill_first_step(visitor)
    assert sections(visitor) == ["Inicio", "Mi cuenta"]
    visitor.look("signup-sign")
    document = download_document(visitor)
    assert nif.encode() in document and b"alta@ejemplo.es" in document
    upload_signed(visitor, site.people.portal_pki.sign(document, nif))
    assert "Se ha dado de alta como integrador" in visitor.page.get_by_role("status").inner_text()
    visitor.look("home-after-signup")
    assert site.state(nif).signed_up and site.state(nif).third_party
    assert sections(visitor) == EVERY_SECTION  # an integrator now: the same layout key no longer applies


CASES = {
    "wrong-signer": (lambda site, doc, nif: site.people.portal_pki.sign(
        doc, signer=site.people.issued(site.nifs.company())), "lo firmó otra persona"),
    "bad-signature": (lambda site, doc, nif: site.people.portal_pki.sign(doc, nif).replace(
        b"Declaro mi inter", b"Declaro mi INTER"), "La firma del documento no es válida"),
    "expired-signer": (lambda site, doc, nif: site.people.portal_pki.sign(
        doc, signer=_holder(site.people.portal_pki.intermediate, nif, days=30,
                            not_before=datetime.now(timezone.utc) - timedelta(days=400))), "caducado"),
    "another-document": (lambda site, doc, nif: site.people.portal_pki.sign(
        site.acceptance(nif, "otro@ejemplo.es"), nif), "no es el documento de alta que descargó"),
    "unsigned": (lambda site, doc, nif: doc, "La firma del documento no es válida"),
    "not-xml": (lambda site, doc, nif: b"%PDF-1.4 not xml", "no es un documento XML legible"),
}


def test_sign_up_refusals_next_to_the_upload(site, visit):
    nif = site.nifs.public_body()
    visitor = visit(nif).login()
    visitor.go("/alta")
    fill_first_step(visitor, third_party=False)
    document = download_document(visitor)
    for case, (make, message) in CASES.items():  # one after the other on the same page, as a person would
        upload_signed(visitor, make(site, document, nif))
        upload = visitor.page.get_by_label("Documento de alta firmado (XML con firma XAdES)")
        assert upload.get_attribute("aria-invalid") == "true", case
        assert message in visitor.error_of("document"), case
        visitor.look(f"signup-refused-{case}")
        assert site.state(nif) is None  # nothing written

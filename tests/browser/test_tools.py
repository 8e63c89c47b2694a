"""The public receipt verifier and the invoice validator."""
from tests.support.portal_browser import TRUSTED_CSV, UNTRUSTED_CSV
from tests.support.registry import FACE


def test_receipt_verifier_without_login(site, visit):
    visitor = visit()
    visitor.go("/acceso")
    visitor.page.get_by_role("link", name="Verificar un comprobante", exact=True).click()
    visitor.look("verify")
    visitor.page.get_by_label("Código seguro de verificación (CSV)").fill(TRUSTED_CSV[:8] + "-" + TRUSTED_CSV[8:])
    visitor.page.get_by_role("button", name="Verificar").click()
    assert visitor.page.get_by_role("heading", level=2).inner_text() == "Comprobante auténtico: el sello es válido"
    visitor.look("verify-valid")
    visitor.go(f"/verificar?csv={UNTRUSTED_CSV}")
    assert "NO es válido" in visitor.page.get_by_role("heading", level=2).inner_text()
    visitor.look("verify-untrusted")
    visitor.page.get_by_label("Código seguro de verificación (CSV)").fill("AAAAAAAAAAAAAAAAAAAAAAAA")
    visitor.page.get_by_role("button", name="Verificar").click()
    assert "No existe ningún comprobante" in visitor.error_of("csv")
    visitor.look("verify-unknown")


def test_validator_reports_every_check_and_registers_nothing(site, visit):
    nif = site.sign_up(site.nifs.company())
    visitor = visit(nif).login()
    visitor.page.get_by_role("link", name="Validar factura").click()
    visitor.page.get_by_role("button", name="Validar").click()
    assert "obligatorio" in visitor.error_of("facturae")
    visitor.look("validator-required")
    signed = site.people.portal_pki.sign(FACE.read_bytes(), nif)
    visitor.page.get_by_label("Factura (Facturae 3.2, 3.2.1 o 3.2.2, XML)").set_input_files(
        {"name": "factura.xsig", "mimeType": "application/xml", "buffer": signed})
    visitor.page.get_by_role("button", name="Validar").click()
    report = visitor.page.get_by_role("table").inner_text()
    for check in ("Versión de Facturae", "Esquema XSD", "Firma XAdES", "No registrada antes"):
        assert check in report
    visitor.look("validator-report")
    visitor.page.get_by_label("Factura (Facturae 3.2, 3.2.1 o 3.2.2, XML)").set_input_files(
        {"name": "factura.xml", "mimeType": "application/xml", "buffer": FACE.read_bytes()})
    visitor.page.get_by_role("button", name="Validar").click()
    assert "El registro rechazaría esta factura" in visitor.page.get_by_role("heading", level=2).inner_text()
    visitor.look("validator-unsigned")

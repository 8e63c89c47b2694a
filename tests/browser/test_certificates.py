"""Certificates (manual 5): upload, the two-step summary, the list with states, every refusal next to its field."""
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.support.portal_browser import fingerprint

PEM, DER = serialization.Encoding.PEM, serialization.Encoding.DER


def choose_file(visitor, alias: str, data: bytes, name: str) -> None:
    page = visitor.page
    page.get_by_label("Alias del certificado").fill(alias)
    page.get_by_label("Adjuntar fichero (.pem o .cer)").set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": data})
    page.get_by_role("button", name="Siguiente").click()


def test_upload_summary_save_and_list_with_states(site, visit):
    nif = site.sign_up(site.nifs.company())
    site.register(nif, "caduca-pronto", site.system_certificate("pronto", days=20))
    removed = site.register(nif, "retirado")
    visitor = visit(nif).login()
    visitor.page.get_by_role("link", name="Certificados", exact=True).click()
    visitor.page.get_by_role("link", name="Eliminar retirado").click()
    visitor.look("certificate-remove-confirm")
    visitor.page.get_by_role("button", name="Confirmar eliminación del certificado").click()
    assert "Certificado «retirado» eliminado." in visitor.page.get_by_role("status").inner_text()
    assert site.state(nif).certificates[fingerprint(removed)].removed

    visitor.page.get_by_role("button", name="Nuevo certificado").click()
    visitor.look("certificate-new")
    issued = site.system_certificate("produccion")
    choose_file(visitor, "produccion", issued.certificate.public_bytes(DER), "produccion.cer")  # DER too
    summary = visitor.page.locator("dl.summary").inner_text()
    assert fingerprint(issued) in summary and "SISTEMA produccion" in summary
    assert visitor.page.locator("[aria-current=step]").inner_text() == "paso 2"
    visitor.look("certificate-summary")
    visitor.page.get_by_role("button", name="Guardar").click()
    assert "Certificado «produccion» registrado." in visitor.page.get_by_role("status").inner_text()
    rows = visitor.page.get_by_role("row")
    states = {alias: rows.filter(has_text=alias).get_by_role("cell").nth(5).inner_text()
              for alias in ("produccion", "caduca-pronto")}
    assert states == {"produccion": "Activo", "caduca-pronto": "Caduca en menos de 30 días"}
    visitor.look("certificates")


def _p12(site) -> bytes:
    issued = site.system_certificate()
    return pkcs12.serialize_key_and_certificates(b"x", issued.key, issued.certificate, None,
                                                serialization.BestAvailableEncryption(b"secreto"))


REFUSALS = {
    "private-key": (lambda site: site.system_certificate().key.private_bytes(
        PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), "clave privada"),
    "pkcs12": (_p12, "PKCS#12"),
    "malformed": (lambda site: b"-----BEGIN CERTIFICATE-----\nnada\n-----END CERTIFICATE-----\n",
                  "no es un certificado X.509"),
    "expired": (lambda site: site.system_certificate(days=10, not_before=datetime.now(timezone.utc)
                                                     - timedelta(days=30)).certificate.public_bytes(PEM), "ha caducado"),
    "ca": (lambda site: site.system_certificate(ca=True).certificate.public_bytes(PEM), "(CA)"),
    "two-certificates": (lambda site: site.system_certificate().certificate.public_bytes(PEM)
                         + site.system_certificate().certificate.public_bytes(PEM), "más de un certificado"),
    "registered-by-another": (None, "ya está registrado"),
}


def test_refusals_next_to_the_file(site, visit):
    nif = site.sign_up(site.nifs.company())
    visitor = visit(nif).login()
    visitor.go("/certificados/nuevo")
    for case, (make, message) in REFUSALS.items():
        if make is None:
            data = site.register(site.sign_up(site.nifs.company()), "de-otro").certificate.public_bytes(PEM)
        else:
            data = make(site)
        choose_file(visitor, "uno", data, "fichero.pem")
        assert message in visitor.error_of("file"), case
        assert visitor.page.get_by_label("Adjuntar fichero (.pem o .cer)").get_attribute("aria-invalid") == "true"
        visitor.look(f"certificate-refused-{case}")
        assert not site.state(nif).certificates


def test_alias_and_file_are_required(site, visit):
    nif = site.sign_up(site.nifs.company())
    visitor = visit(nif).login()
    visitor.go("/certificados/nuevo")
    visitor.page.get_by_role("button", name="Siguiente").click()
    assert "obligatorio" in visitor.error_of("alias") and "Adjunte el fichero" in visitor.error_of("file")
    visitor.look("certificate-required")

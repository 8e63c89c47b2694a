"""Steps of the portal's flows through its pages, shared by the page-flow and integration tests."""
import hashlib
import io
import re

from cryptography.hazmat.primitives import serialization

from ventanilla import pki
from tests.support.portal import Browser


def text(response) -> str:
    return response.get_data(as_text=True)


def signed_document(browser, portal_pki, nif, signer=None, email="alta@ejemplo.es", third_party=False):
    browser.post("/alta", {"email": email, "accepted_terms": "y", **({"third_party": "y"} if third_party else {})})
    document = browser.get("/alta/documento.xml")
    assert document.status_code == 200 and document.mimetype == "application/xml"
    browser.get("/alta/firma")
    return document.data, portal_pki.sign(document.data, nif, signer=signer)


def upload(browser, path, field, data, name, follow_redirects=False, **more):
    return browser.post(path, {field: (io.BytesIO(data), name), **more}, content_type="multipart/form-data",
                        follow_redirects=follow_redirects)


def sign_up(portal, portal_pki, nif):
    browser = Browser(portal.app, portal_pki.der(nif)).login()
    _, signed = signed_document(browser, portal_pki, nif)
    page = upload(browser, "/alta/firma", "document", signed, "alta.xsig", follow_redirects=True)
    assert "Se ha dado de alta como integrador" in text(page), text(page)[:2000]
    return browser


def register_certificate(browser, issued: pki.Issued, alias: str):
    pem = issued.certificate.public_bytes(serialization.Encoding.PEM)
    summary = upload(browser, "/certificados/nuevo", "file", pem, f"{alias}.pem", alias=alias)
    assert "Resumen" in text(summary), text(summary)[:3000]
    certificate = re.search(r'name="certificate" type="hidden" value="([^"]+)"', text(summary)).group(1)
    saved = browser.post("/certificados/nuevo/guardar", {"alias": alias, "certificate": certificate},
                         follow_redirects=True)
    assert f"Certificado «{alias}» registrado" in text(saved)
    return issued


def fingerprint(issued: pki.Issued) -> str:
    return hashlib.sha256(issued.certificate.public_bytes(serialization.Encoding.DER)).hexdigest()

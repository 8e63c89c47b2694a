"""User-controlled text is escaped on the measured pages, and the layout rendered once per kind of page still shows
each person their own name, profile, language, section and CSRF token."""
import re

from cryptography.hazmat.primitives import serialization

from tests.support.portal import COMPANY, PERSON, PUBLIC_BODY, Browser
from tests.support.portal_flows import fingerprint, sign_up, text, upload

SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _register(browser, issued, alias):
    pem = issued.certificate.public_bytes(serialization.Encoding.PEM)
    summary = text(upload(browser, "/certificados/nuevo", "file", pem, "c.pem", alias=alias))
    certificate = re.search(r'name="certificate" type="hidden" value="([^"]+)"', summary).group(1)
    browser.post("/certificados/nuevo/guardar", {"alias": alias, "certificate": certificate})


def test_aliases_names_and_paths_with_markup_are_escaped_on_the_measured_pages(portal, portal_pki, overrides):
    body = sign_up(portal, portal_pki, PUBLIC_BODY)
    held, free = portal_pki.system_certificate("held"), portal_pki.system_certificate("free")
    _register(body, held, SCRIPT)
    _register(body, free, SCRIPT + "2")
    body.post("/plataformas/nueva/certificado", {"name": SCRIPT, "roles": "envio", "fingerprint": fingerprint(held)})
    platform_id = next(iter(overrides["read_model"].integrator(PUBLIC_BODY).platforms))
    pages = {path: text(body.get(path)) for path in
             ("/certificados", f"/plataformas/{platform_id}", "/inicio", f"/certificados?next={SCRIPT}")}
    for path, page in pages.items():
        assert "<script" not in page, path
    assert pages["/certificados"].count(ESCAPED) >= 4  # two aliases (and the hidden one of the removal link), a name
    assert f'href="/plataformas/{platform_id}">{ESCAPED}</a>' in pages["/certificados"]
    assert f'href="/certificados/{fingerprint(free)}/eliminar">' in pages["/certificados"]
    assert ESCAPED in pages[f"/plataformas/{platform_id}"]
    assert f'name="next" value="/certificados?next={ESCAPED}"' in pages[f"/certificados?next={SCRIPT}"]


def test_each_person_sees_their_own_layout(portal, portal_pki):
    company = sign_up(portal, portal_pki, COMPANY)
    company.get("/autorizados/nuevo")
    company.post("/autorizados/nuevo", {"nif": PERSON})
    company.post("/autorizados/nuevo/persona", {"nif": PERSON, "name": "Ana", "surname1": "Pérez",
                                                "email": "ana@ejemplo.es"})
    person = Browser(portal.app, portal_pki.der(PERSON))
    person.get("/acceso/certificado")
    person.get("/perfil")
    person.post("/perfil", {"profile": COMPANY})
    own, acting = text(company.get("/certificados")), text(person.get("/certificados"))
    assert "Actuando en representación" not in own
    assert f"Actuando en representación de {COMPANY}." in acting
    assert TOKEN.findall(own)[0] != TOKEN.findall(acting)[0]  # each session its own token, in every form
    assert len(set(TOKEN.findall(own))) == 1 and len(set(TOKEN.findall(acting))) == 1
    assert 'href="/certificados" aria-current="page"' in own
    assert 'href="/plataformas" aria-current="page"' in text(company.get("/plataformas"))
    company.post("/idioma", {"lang": "en", "next": "/certificados"})
    english = text(company.get("/certificados"))
    assert '<html lang="en">' in english and "Log out" in english and "Cerrar sesión" not in english
    assert "Cerrar sesión" in text(person.get("/certificados"))
    assert company.post("/salir", {"csrf_token": "forged"}).status_code == 400  # CSRF still checked

"""Every flow of the portal through its pages (Flask test client, fakes), refusals included."""

import pytest
from cryptography.hazmat.primitives import serialization

from ventanilla import pki
from portal_service import acceptance
from tests.support.portal import COMPANY, PERSON, PUBLIC_BODY, STAFF, Browser
from tests.support.portal_flows import fingerprint, register_certificate, sign_up, signed_document, text, upload


def test_sign_up_with_the_signed_acceptance_document_and_a_confirmation_mail(portal, portal_pki, overrides):
    sign_up(portal, portal_pki, COMPANY)
    state = overrides["read_model"].integrator(COMPANY)
    assert state.signed_up and state.email == "alta@ejemplo.es"
    assert overrides["mailer"].sent[0][0] == ("alta@ejemplo.es",)


@pytest.mark.parametrize("case, message", [
    ("wrong_signer", "lo firmó otra persona"),
    ("bad_signature", "La firma del documento no es válida"),
    ("expired", "caducado"),
    ("another_document", "no es el documento de alta que descargó"),
    ("unsigned", "La firma del documento no es válida"),
])
def test_sign_up_refusals_are_shown_next_to_the_upload(portal, portal_pki, overrides, case, message):
    browser = Browser(portal.app, portal_pki.der(PUBLIC_BODY)).login()
    unsigned, signed = signed_document(browser, portal_pki, PUBLIC_BODY)
    if case == "wrong_signer":
        signed = portal_pki.sign(unsigned, COMPANY)
    elif case == "bad_signature":
        signed = signed.replace(b"Declaro mi inter", b"Declaro mi INTER")
    elif case == "expired":
        signed = portal_pki.sign(unsigned, signer=portal_pki.expired)
    elif case == "another_document":
        other = acceptance.build(acceptance.read(unsigned).__class__(
            "otro", "X", PUBLIC_BODY, "alta@ejemplo.es", True, False, acceptance.read(unsigned).date))
        signed = portal_pki.sign(other, PUBLIC_BODY)
    elif case == "unsigned":
        signed = unsigned
    page = upload(browser, "/alta/firma", "document", signed, "alta.xsig")
    assert page.status_code == 200 and message in text(page), text(page)[-3000:]
    assert 'aria-invalid="true"' in text(page)
    assert overrides["read_model"].integrator(PUBLIC_BODY) is None  # nothing written


def test_terms_must_be_accepted(portal, portal_pki):
    browser = Browser(portal.app, portal_pki.der(COMPANY)).login()
    page = browser.post("/alta", {"email": "alta@ejemplo.es"})
    assert "Debe aceptar los términos" in text(page)


@pytest.mark.parametrize("payload, message", [
    (lambda p: p.system_certificate("clave").key.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), "clave privada"),
    (lambda p: b"not a certificate", "no es un certificado X.509"),
    (lambda p: p.system_certificate("ca", ca=True).certificate.public_bytes(serialization.Encoding.PEM), "(CA)"),
    (lambda p: p.system_certificate("dos").certificate.public_bytes(serialization.Encoding.PEM) * 2,
     "más de un certificado"),
    (lambda p: p.system_certificate("viejo", days=10, not_before=pki.datetime.now(pki.timezone.utc)
                                    - pki.timedelta(days=30)).certificate.public_bytes(serialization.Encoding.DER),
     "ha caducado"),
])
def test_certificate_refusals_next_to_the_file(portal, portal_pki, payload, message):
    browser = sign_up(portal, portal_pki, COMPANY)
    page = upload(browser, "/certificados/nuevo", "file", payload(portal_pki), "x.pem", alias="uno")
    assert message in text(page), text(page)[-2500:]
    assert 'id="file-error"' in text(page)


def test_pkcs12_is_refused(portal, portal_pki):
    from cryptography.hazmat.primitives.serialization import pkcs12

    issued = portal_pki.system_certificate("p12")
    p12 = pkcs12.serialize_key_and_certificates(b"x", issued.key, issued.certificate, None,
                                                serialization.BestAvailableEncryption(b"secreto"))
    browser = sign_up(portal, portal_pki, COMPANY)
    assert "PKCS#12" in text(upload(browser, "/certificados/nuevo", "file", p12, "x.p12", alias="p12"))


def test_a_certificate_is_registered_once_by_anyone(portal, portal_pki):
    shared = portal_pki.system_certificate("compartido")
    register_certificate(sign_up(portal, portal_pki, COMPANY), shared, "mio")
    other = sign_up(portal, portal_pki, PUBLIC_BODY)
    pem = shared.certificate.public_bytes(serialization.Encoding.PEM)
    assert "ya está registrado" in text(upload(other, "/certificados/nuevo", "file", pem, "c.pem", alias="suyo"))


def test_platforms_lifecycle_and_rcf_approval_by_staff(portal, portal_pki, overrides):
    body = sign_up(portal, portal_pki, PUBLIC_BODY)
    first, second = (register_certificate(body, portal_pki.system_certificate(n), n) for n in ("c1", "c2"))
    step2 = body.post("/plataformas/nueva", {"name": "Contabilidad", "roles": ["recepcion", "envio"]})
    assert "Seleccionar un certificado" in text(step2)
    assert 'name="roles" type="hidden" value="envio,recepcion"' in text(step2)  # both roles reach step 2
    created = body.post("/plataformas/nueva/certificado", {"name": "Contabilidad", "roles": "envio,recepcion",
                                                           "fingerprint": fingerprint(first)}, follow_redirects=True)
    assert "pendiente de aprobación" in text(created).lower()
    platform_id = next(iter(overrides["read_model"].integrator(PUBLIC_BODY).platforms))
    again = body.post("/plataformas/nueva/certificado", {"name": "Otra", "roles": "envio",
                                                         "fingerprint": fingerprint(first)})
    assert "Elija" in text(again) or "ya pertenece" in text(again)
    body.get(f"/plataformas/{platform_id}/certificados")
    body.post(f"/plataformas/{platform_id}/certificados", {"fingerprint": fingerprint(second)})
    body.get(f"/plataformas/{platform_id}/certificados")
    body.post(f"/plataformas/{platform_id}/certificados/{fingerprint(first)}/quitar")
    body.get(f"/plataformas/{platform_id}/certificados")
    last = body.post(f"/plataformas/{platform_id}/certificados/{fingerprint(second)}/quitar", follow_redirects=True)
    assert "al menos un certificado" in text(last)
    body.get(f"/plataformas/{platform_id}/editar")
    body.post(f"/plataformas/{platform_id}/editar", {"name": "Contabilidad general"})
    assert overrides["read_model"].integrator(PUBLIC_BODY).platforms[platform_id].name == "Contabilidad general"

    staff = Browser(portal.app, portal_pki.der(STAFF)).login()
    assert "Contabilidad general" in text(staff.get("/administracion/"))
    portal.app.extensions["portal"].dir3.replace_all(
        [__import__("ventanilla.adapters.dir3_catalogue", fromlist=["Dir3Unit"]).Dir3Unit("L01280796", "Ayuntamiento de Madrid")])
    page = staff.get(f"/administracion/plataformas/{PUBLIC_BODY}/{platform_id}?q=madrid")
    assert "L01280796" in text(page)
    staff.post(f"/administracion/plataformas/{PUBLIC_BODY}/{platform_id}/unidades", {"code": "L01280796"})
    staff.get(f"/administracion/plataformas/{PUBLIC_BODY}/{platform_id}")
    staff.post(f"/administracion/plataformas/{PUBLIC_BODY}/{platform_id}/aprobar")
    platform = overrides["read_model"].integrator(PUBLIC_BODY).platforms[platform_id]
    assert platform.state.value == "approved" and platform.dir3_units == (("L01280796", "Ayuntamiento de Madrid"),)
    assert any("aprobada" in subject for _, subject, _ in overrides["mailer"].sent)
    body.get(f"/plataformas/{platform_id}/eliminar")
    body.post(f"/plataformas/{platform_id}/eliminar")
    assert overrides["read_model"].integrator(PUBLIC_BODY).live_platforms() == []


def test_rcf_only_for_public_bodies(portal, portal_pki):
    company = sign_up(portal, portal_pki, COMPANY)
    page = company.post("/plataformas/nueva", {"name": "Recepción", "roles": ["recepcion"]})
    assert "únicamente para organismos públicos" in text(page)


def test_authorized_user_acts_for_the_integrator_and_switches(portal, portal_pki, overrides):
    company = sign_up(portal, portal_pki, COMPANY)
    company.get("/autorizados/nuevo")
    form = company.post("/autorizados/nuevo", {"nif": PERSON})
    assert "Dar de alta un autorizado nuevo" in text(form)
    company.post("/autorizados/nuevo/persona", {"nif": PERSON, "name": "Ana", "surname1": "Pérez",
                                                "email": "ana@ejemplo.es"})
    assert PERSON in overrides["read_model"].integrator(COMPANY).authorized
    assert overrides["mailer"].sent[-1][0] == ("ana@ejemplo.es",)
    person = Browser(portal.app, portal_pki.der(PERSON))
    person.get("/acceso/certificado")
    choice = person.get("/perfil")
    assert COMPANY in text(choice)
    person.post("/perfil", {"profile": COMPANY})
    register_certificate(person, portal_pki.system_certificate("por-ana"), "por-ana")
    event = overrides["read_model"].history(COMPANY, limit=1)[0]
    assert (event.nif, event.actor_nif) == (COMPANY, PERSON)
    assert person.get("/autorizados").status_code == 403  # only the integrator manages its authorized users


def test_mail_relay_failure_never_fails_the_action(portal, portal_pki, overrides):
    overrides["mailer"].failing = True
    sign_up(portal, portal_pki, COMPANY)
    assert overrides["read_model"].integrator(COMPANY).signed_up


def test_staff_pages_are_for_staff_only(portal, portal_pki):
    company = sign_up(portal, portal_pki, COMPANY)
    for path in ("/administracion/", "/administracion/avisos", "/administracion/integradores",
                 f"/administracion/integradores/{COMPANY}"):
        assert company.get(path).status_code == 403, path


def test_every_route_refuses_another_integrators_ids(portal, portal_pki, overrides):
    body = sign_up(portal, portal_pki, PUBLIC_BODY)
    cert = register_certificate(body, portal_pki.system_certificate("ajeno"), "ajeno")
    body.post("/plataformas/nueva/certificado", {"name": "Ajena", "roles": "envio", "fingerprint": fingerprint(cert)})
    body.get("/autorizados/nuevo")
    body.post("/autorizados/nuevo/persona", {"nif": PERSON, "name": "Ana", "email": "ana@ejemplo.es"})
    state = overrides["read_model"].integrator(PUBLIC_BODY)
    platform_id, fp = next(iter(state.platforms)), fingerprint(cert)
    intruder = sign_up(portal, portal_pki, COMPANY)
    gets = [f"/plataformas/{platform_id}", f"/plataformas/{platform_id}/editar", f"/plataformas/{platform_id}/certificados",
            f"/plataformas/{platform_id}/eliminar", f"/certificados/{fp}/eliminar", f"/autorizados/{PERSON}/revocar"]
    posts = gets[1:] + [f"/plataformas/{platform_id}/certificados/{fp}/quitar"]
    for path in gets:
        assert intruder.get(path).status_code == 404, path
    for path in posts:
        assert intruder.post(path, {"name": "robada", "fingerprint": fp}).status_code == 404, path
    assert overrides["read_model"].integrator(PUBLIC_BODY) == state  # nothing changed


def test_receipt_verifier_reveals_nothing_for_unknown_codes_and_is_rate_limited(portal, portal_pki):
    visitor = Browser(portal.app)
    assert visitor.get("/verificar?csv=AAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert visitor.get("/verificar?csv=' OR 1=1").status_code == 404
    codes = [visitor.get("/verificar?csv=BBBBBBBBBBBBBBBBBBBBBBBB").status_code for _ in range(25)]
    assert 429 in codes


def test_a_notice_published_by_staff_is_on_the_next_home_page(portal, portal_pki):
    body = sign_up(portal, portal_pki, PUBLIC_BODY)
    assert "Parada programada" not in text(body.get("/inicio"))
    staff = Browser(portal.app, portal_pki.der(STAFF)).login()
    staff.get("/administracion/avisos")
    staff.post("/administracion/avisos", {"title": "Parada programada", "body": "El sábado de 8:00 a 10:00."})
    assert "Parada programada" in text(body.get("/inicio"))

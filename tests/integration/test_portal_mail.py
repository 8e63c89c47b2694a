"""The portal's mails through a real SMTP server on loopback (aiosmtpd): who gets what, in their language."""
import logging
import time

import pytest

from portal_service.__main__ import build
from tests.support.portal import COMPANY, PERSON, PUBLIC_BODY, STAFF, Browser, fake_overrides, portal_settings
from tests.support.portal_flows import fingerprint, register_certificate, sign_up, signed_document, text, upload
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.integration
SENDER = "portal@ventanilla.test"


@pytest.fixture(scope="module")
def portal_pki(tmp_path_factory):
    from tests.support.portal import build_portal_pki

    return build_portal_pki(tmp_path_factory.mktemp("portal-pki"))


@pytest.fixture
def smtp_port(free_ports):
    return free_ports(1)[0]


@pytest.fixture
def overrides(portal_pki):
    return fake_overrides(portal_pki, mailer=None)  # the real SmtpMailer, from the settings


@pytest.fixture
def portal(tmp_path, overrides, smtp_port):
    settings = portal_settings(tmp_path, VENTANILLA_SMTP_HOST="127.0.0.1", VENTANILLA_SMTP_PORT=str(smtp_port),
                               VENTANILLA_SMTP_SENDER=SENDER, VENTANILLA_PORTAL_EXPIRY_CHECK_S="1")
    process = build(settings, overrides=overrides)
    yield process
    process.stop()


@pytest.fixture
def inbox(smtp_port):
    with smtp_server(smtp_port) as received:
        yield received


def mail(received, index: int = -1):
    """(envelope recipients, To, Subject, body) of one received message."""
    recipients, message = received.received[index]
    return recipients, message["To"], message["Subject"], message.get_content()


def choose_english(browser) -> None:
    browser.get("/cuenta")
    page = browser.post("/cuenta", {"name": "Ana", "surname1": "Smith", "email": "ana@example.org", "language": "en"},
                        follow_redirects=True)
    assert page.status_code == 200


def test_sign_up_confirmation_arrives_in_spanish_and_in_english_for_who_chose_it(portal, portal_pki, inbox):
    sign_up(portal, portal_pki, COMPANY)
    recipients, to, subject, body = mail(inbox)
    assert recipients == ("alta@ejemplo.es",) and to == "alta@ejemplo.es"
    assert inbox.received[-1][1]["From"] == SENDER
    assert subject == "Alta como integrador confirmada" and f"(NIF {COMPANY}) está dado de alta" in body

    english = Browser(portal.app, portal_pki.der(PUBLIC_BODY)).login()
    choose_english(english)
    _, signed = signed_document(english, portal_pki, PUBLIC_BODY, email="body@example.org")
    upload(english, "/alta/firma", "document", signed, "alta.xsig", follow_redirects=True)
    recipients, _to, subject, body = mail(inbox)
    assert recipients == ("body@example.org",)
    assert subject == "Integrator sign-up confirmed" and f"(NIF {PUBLIC_BODY}) is now an integrator" in body
    assert "está dado de alta" not in body


def test_platform_approved_and_refused_go_to_the_notification_addresses(portal, portal_pki, inbox):
    body = sign_up(portal, portal_pki, PUBLIC_BODY)
    body.get("/cuenta/notificaciones")
    body.post("/cuenta/notificaciones", {"primary_email": "avisos@organismo.es",
                                         "secondary_email": "guardia@organismo.es", "system_notices": "y"})
    for name in ("Recepción A", "Recepción B"):
        cert = register_certificate(body, portal_pki.system_certificate(name), name)
        body.post("/plataformas/nueva/certificado", {"name": name, "roles": "recepcion", "fingerprint": fingerprint(cert)})
    state = portal.portal.read_model.integrator(PUBLIC_BODY)
    ids = {p.name: p.platform_id for p in state.platforms.values()}
    staff = Browser(portal.app, portal_pki.der(STAFF)).login()
    staff.get(f"/administracion/plataformas/{PUBLIC_BODY}/{ids['Recepción A']}")
    staff.post(f"/administracion/plataformas/{PUBLIC_BODY}/{ids['Recepción A']}/aprobar")
    recipients, to, subject, text_ = mail(inbox)
    assert recipients == ("avisos@organismo.es", "guardia@organismo.es")
    assert to == "avisos@organismo.es, guardia@organismo.es"
    assert subject == "Plataforma «Recepción A» aprobada" and "aprobada como servicio de recepción" in text_
    staff.get(f"/administracion/plataformas/{PUBLIC_BODY}/{ids['Recepción B']}")
    staff.post(f"/administracion/plataformas/{PUBLIC_BODY}/{ids['Recepción B']}/rechazar",
               {"reason": "Falta la resolución de nombramiento"})
    recipients, _to, subject, text_ = mail(inbox)
    assert recipients == ("avisos@organismo.es", "guardia@organismo.es")
    assert subject == "Plataforma «Recepción B» rechazada" and "Motivo: Falta la resolución de nombramiento" in text_


def test_authorization_granted_reaches_the_person_in_their_language(portal, portal_pki, inbox):
    person = Browser(portal.app, portal_pki.der(PERSON)).login()
    choose_english(person)
    company = sign_up(portal, portal_pki, COMPANY)
    company.get("/autorizados/nuevo")
    company.post("/autorizados/nuevo", {"nif": PERSON})  # a known person: authorized with their own data
    recipients, to, subject, body = mail(inbox)
    assert recipients == ("ana@example.org",) and to == "ana@example.org"
    assert subject == f"Authorization to act on behalf of ENTIDAD {COMPANY}"
    assert f"(NIF {COMPANY}) authorized you" in body


def test_each_expiry_warning_is_sent_once_at_30_and_at_7_days(portal, portal_pki, overrides, inbox):
    clock = overrides["clock"]
    company = sign_up(portal, portal_pki, COMPANY)
    register_certificate(company, portal_pki.system_certificate("largo", days=40), "largo")
    register_certificate(company, portal_pki.system_certificate("corto", days=20), "corto")
    before = len(inbox.received)

    def warnings():
        return [message["Subject"] for _, message in inbox.received[before:]]

    assert portal.portal.warn_expiring() == 1 and portal.portal.warn_expiring() == 0
    assert warnings() == ["Su certificado «corto» caduca en 30 días"]
    clock.advance(days=11)  # largo: 29 days left; corto: 9
    assert portal.portal.warn_expiring() == 1
    clock.advance(days=3)   # largo: 26; corto: 6
    assert portal.portal.warn_expiring() == 1 and portal.portal.warn_expiring() == 0
    assert warnings() == ["Su certificado «corto» caduca en 30 días", "Su certificado «largo» caduca en 30 días",
                          "Su certificado «corto» caduca en 7 días"]
    assert all(recipients == ("alta@ejemplo.es",) for recipients, _ in inbox.received[before:])
    clock.advance(days=30)  # both expired: nothing more to say
    assert portal.portal.warn_expiring() == 0


def test_the_portal_process_warns_periodically_and_only_once(portal, portal_pki, inbox, caplog):
    caplog.set_level(logging.INFO, logger="portal")
    company = sign_up(portal, portal_pki, COMPANY)
    register_certificate(company, portal_pki.system_certificate("pronto", days=5), "pronto")
    before = len(inbox.received)
    portal.start()  # VENTANILLA_PORTAL_EXPIRY_CHECK_S=1: a round at start, then every second
    inbox.wait_for(before + 1)
    rounds = lambda: sum(r.getMessage() == "expiry warnings sent" for r in caplog.records)  # noqa: E731
    deadline = time.monotonic() + 20
    while rounds() < 3 and time.monotonic() < deadline:  # wait for two more rounds after the first
        time.sleep(0.2)
    assert rounds() >= 3
    assert [m["Subject"] for _, m in inbox.received[before:]] == ["Su certificado «pronto» caduca en 7 días"]


def test_a_relay_that_is_down_never_fails_the_action(portal, portal_pki, caplog):
    caplog.set_level(logging.WARNING, logger="portal.handlers")
    browser = sign_up(portal, portal_pki, COMPANY)  # no SMTP server listens on the port
    assert portal.portal.read_model.integrator(COMPANY).signed_up
    assert "Se ha dado de alta como integrador" in text(browser.last)
    failures = [r for r in caplog.records if r.getMessage() == "mail not sent"]
    assert len(failures) == 1 and failures[0].error == "ConnectionRefusedError"
    assert "alta@ejemplo.es" not in caplog.text  # no addresses or contents in the log
    cert = register_certificate(browser, portal_pki.system_certificate("pronto", days=5), "pronto")
    assert portal.portal.warn_expiring() == 1  # the warning is recorded even though its mail failed
    noticed = portal.portal.read_model.integrator(COMPANY).certificates[fingerprint(cert)].expiry_noticed
    assert noticed == {7}

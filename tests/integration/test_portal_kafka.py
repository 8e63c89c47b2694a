"""Portal actions reach Kafka through the composition root; a projection rebuilt from offset 0 renders the same pages."""
import re

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings
from ventanilla.observability.metrics import Metrics
from tests.support.portal import COMPANY, PERSON, PUBLIC_BODY, STAFF, Browser, build_portal_pki, fake_overrides
from tests.support.portal_flows import fingerprint, register_certificate, sign_up
from tests.support.portal_kafka import portal_env, start_portal

pytestmark = pytest.mark.integration
REAL = ("certificate_login", "secure_cookies", "clock", "verifier", "seal_roots")  # the rest is real
TOKEN = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


def stable(html: str) -> str:
    """A page without its per-session CSRF token (the only part that may differ between two renderings)."""
    return TOKEN.sub(r'\1"', html)


def pages(portal, portal_pki, platform_id: str) -> dict[str, str]:
    """The HTML of the pages whose data comes from the projection, as each kind of visitor sees them."""
    seen = {}
    visitors = {PUBLIC_BODY: ["/inicio", "/certificados", "/plataformas", f"/plataformas/{platform_id}",
                              f"/plataformas/{platform_id}/certificados", "/autorizados", "/cuenta/perfil",
                              "/cuenta/notificaciones"],
                COMPANY: ["/inicio", "/certificados", "/plataformas"],
                STAFF: ["/administracion/", f"/administracion/integradores/{PUBLIC_BODY}",
                        f"/administracion/plataformas/{PUBLIC_BODY}/{platform_id}", "/administracion/integradores"]}
    for nif, paths in visitors.items():
        browser = Browser(portal.app, portal_pki.der(nif)).login()
        for path in paths:
            page = browser.get(path)
            assert page.status_code == 200, (nif, path)
            seen[f"{nif} {path}"] = stable(page.get_data(as_text=True))
    return seen


def counted(metrics: Metrics) -> dict[tuple, float]:
    """The portal's own counters as its /metrics shows them: (sample name, label value) -> value."""
    text = generate_latest(metrics.registry).decode()
    return {(s.name, *s.labels.values()): s.value for f in text_string_to_metric_families(text) for s in f.samples
            if s.name.startswith("ventanilla_portal_") and s.name.endswith("_total")}


def test_pages_rendered_from_a_projection_rebuilt_from_offset_zero_are_identical(settings_env, tmp_path):
    portal_pki = build_portal_pki(tmp_path / "pki")
    env = portal_env(settings_env, portal_pki.trust, STAFF)
    settings = Settings.from_env(env)
    ensure_topics(settings)
    real = {k: v for k, v in fake_overrides(portal_pki).items() if k in REAL}
    metrics = Metrics("portal")
    first = start_portal(env, metrics=metrics, **real)
    try:
        assert Browser(first.app).get("/acceso/certificado").status_code == 302  # no certificate: refused
        body, company = sign_up(first, portal_pki, PUBLIC_BODY), sign_up(first, portal_pki, COMPANY)
        certificates = [register_certificate(body, portal_pki.system_certificate(f"s{n}"), f"s{n}") for n in range(3)]
        register_certificate(company, portal_pki.system_certificate("b"), "b")
        body.post("/plataformas/nueva/certificado", {"name": "Registro", "roles": "recepcion",
                                                     "fingerprint": fingerprint(certificates[0])})
        platform_id = next(iter(first.portal.read_model.integrator(PUBLIC_BODY).platforms))
        body.post(f"/plataformas/{platform_id}/certificados", {"fingerprint": fingerprint(certificates[1])})
        body.post("/cuenta/notificaciones", {"primary_email": "avisos@q.es", "system_notices": "y"})
        body.get("/autorizados/nuevo")
        body.post("/autorizados/nuevo/persona", {"nif": PERSON, "name": "Ana", "surname1": "Pérez",
                                                 "email": "ana@ejemplo.es"})
        staff = Browser(first.app, portal_pki.der(STAFF)).login()
        staff.get("/administracion/avisos")
        staff.post("/administracion/avisos", {"title": "Parada programada", "body": "El sábado de 8 a 10."})
        staff.get(f"/administracion/plataformas/{PUBLIC_BODY}/{platform_id}")
        staff.post(f"/administracion/plataformas/{PUBLIC_BODY}/{platform_id}/aprobar")
        seen = counted(metrics)  # logins, sign-ups and certificate changes, without a browser
        assert seen[("ventanilla_portal_logins_total", "refused")] == 1
        assert seen[("ventanilla_portal_logins_total", "ok")] == 3  # the two who signed up, the staff member
        assert seen[("ventanilla_portal_signups_total", "ok")] == 2
        assert seen[("ventanilla_portal_certificate_changes_total", "registered")] == 4, seen
        before = pages(first, portal_pki, platform_id)
        assert "Parada programada" in before[f"{PUBLIC_BODY} /inicio"]
        assert "Registro" in before[f"{PUBLIC_BODY} /plataformas/{platform_id}"]
        assert "Ana Pérez" in before[f"{PUBLIC_BODY} /autorizados"]
        assert first.portal.read_model.integrator(PUBLIC_BODY).platforms[platform_id].state.value == "approved"
    finally:
        first.stop()
    written = sum(first.portal.read_model.positions(settings.topics.integrator_events).values())
    assert written >= 12  # every action above is an event on the topic

    rebuilt_env = {**env, "VENTANILLA_PORTAL_PROJECTION": str(tmp_path / "rebuilt.sqlite3")}
    second = start_portal(rebuilt_env, **real)  # an empty projection: read from offset 0
    try:
        assert sum(second.portal.read_model.positions(settings.topics.integrator_events).values()) == written
        after = pages(second, portal_pki, platform_id)
    finally:
        second.stop()
    assert after.keys() == before.keys()
    for page in before:
        assert after[page] == before[page], page

"""OpenID Connect login: the portal over HTTPS, a real provider (Authlib, PKCE, RS256 ID tokens) on loopback."""
import logging
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from portal_service.__main__ import build
from tests.support.https import loopback_tls, serve_https
from tests.support.oidc_provider import OidcProvider
from tests.support.portal import COMPANY, build_portal_pki, fake_overrides, portal_settings

pytestmark = pytest.mark.integration
CLIENT_ID, CLIENT_SECRET = "ventanilla-portal", "s3cret-for-tests"
USER = {"sub": "user-1", "nif": COMPANY, "name": "ENTIDAD DE PRUEBAS SL"}


@pytest.fixture(scope="module")
def tls_material(tmp_path_factory):
    return loopback_tls(tmp_path_factory.mktemp("oidc-tls"))


@pytest.fixture
def stack(tmp_path, tls_material, monkeypatch):
    """(provider, portal app, portal URL, a browser-like session trusting the loopback CA)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_material.ca))  # the portal's back channel to the provider
    provider = OidcProvider()
    with serve_https(provider.app, tls_material.server_context()) as issuer:
        provider.issuer = issuer
        portal_pki = build_portal_pki(tmp_path / "pki")
        settings = portal_settings(tmp_path / "state", VENTANILLA_PORTAL_OIDC_ISSUER=issuer,
                                   VENTANILLA_PORTAL_OIDC_CLIENT_ID=CLIENT_ID,
                                   VENTANILLA_PORTAL_OIDC_CLIENT_SECRET=CLIENT_SECRET)
        app = build(settings, overrides=fake_overrides(portal_pki, secure_cookies=True)).app
        with serve_https(app, tls_material.server_context()) as portal:
            provider.register(CLIENT_ID, CLIENT_SECRET, f"{portal}/acceso/clave/retorno")
            browser = requests.Session()
            browser.verify = str(tls_material.ca)
            yield provider, app, portal, browser


def session_of(app, browser) -> dict:
    """The portal's signed session cookie, opened with the portal's own key."""
    cookie = browser.cookies.get(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie))


def test_login_through_the_whole_redirect_dance_yields_the_nif_of_the_claim(stack):
    provider, app, portal, browser = stack
    provider.user = USER
    page = browser.get(f"{portal}/acceso/clave", timeout=30)
    assert page.status_code == 200 and page.url.startswith(portal)
    assert [urlsplit(r.url).path for r in page.history[:3]] == ["/acceso/clave", "/authorize",
                                                                "/acceso/clave/retorno"]
    session = session_of(app, browser)
    assert session["nif"] == COMPANY and session["name"] == USER["name"] and session["method"] == "oidc"
    assert "Dame de alta como integrador" in page.text  # an unknown NIF is offered the sign-up
    assert COMPANY in browser.get(f"{portal}/alta", timeout=30).text  # which shows the NIF of the claim
    exchange = provider.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code" and len(exchange["code_verifier"]) >= 43
    assert "client_secret" not in exchange  # client_secret_basic: the secret travels in the header only


def follow_to_return(browser, portal) -> str:
    """Start a login and stop at the provider's redirect back to the portal; that URL."""
    to_provider = browser.get(f"{portal}/acceso/clave", allow_redirects=False, timeout=30)
    back = browser.get(to_provider.headers["Location"], allow_redirects=False, timeout=30)
    assert back.status_code == 302
    return back.headers["Location"]


def refused(app, browser, response, reason: str) -> None:
    assert urlsplit(response.url).path == "/acceso" and parse_qs(urlsplit(response.url).query)["error"] == [reason]
    assert "nif" not in session_of(app, browser)


def test_a_return_with_a_forged_state_is_refused(stack, caplog):
    provider, app, portal, browser = stack
    provider.user = USER
    caplog.set_level(logging.INFO, logger="portal.auth")
    url = urlsplit(follow_to_return(browser, portal))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    query["state"] = "forged" + query["state"][6:]
    answer = browser.get(urlunsplit(url._replace(query=urlencode(query))), timeout=30)
    refused(app, browser, answer, "oidc_failed")
    assert [r.error for r in caplog.records if r.getMessage() == "OIDC login refused"] == ["MismatchingStateError"]
    assert provider.token_requests == []  # the code was never exchanged


def test_an_id_token_for_another_audience_is_refused(stack, caplog):
    provider, app, portal, browser = stack
    provider.user, provider.audience = USER, "another-relying-party"
    caplog.set_level(logging.INFO, logger="portal.auth")
    answer = browser.get(f"{portal}/acceso/clave", timeout=30)
    refused(app, browser, answer, "oidc_failed")
    assert [r.error for r in caplog.records if r.getMessage() == "OIDC login refused"] == ["InvalidClaimError"]
    assert len(provider.token_requests) == 1  # the token was fetched, and its ID token refused


@pytest.mark.parametrize("claims", [{"sub": "user-2", "name": "SIN NIF"},
                                    {"sub": "user-3", "name": "NIF MALO", "nif": "B23103038"}])
def test_a_person_without_a_valid_nif_claim_is_refused(stack, claims):
    provider, app, portal, browser = stack
    provider.user = claims
    answer = browser.get(f"{portal}/acceso/clave", timeout=30)
    refused(app, browser, answer, "oidc_without_nif")
    assert "El proveedor de identidad no indicó un NIF válido" in answer.text

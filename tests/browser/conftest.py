"""The portal in a real browser: one Chromium per session, one portal (real Kafka, SMTP, HTTPS), a context per test."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

from ventanilla.adapters.dir3_catalogue import read_units
from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings
from portal_service.__main__ import build
from tests.support.portal import STAFF, build_portal_pki
from tests.support.portal_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Site, Visitor, receipts
from tests.support.portal_server import HttpsServer, Nifs, People, SmtpSink, certificate_login, tls_files
from tests.support.registry import SCHEMAS, SHARED
from tests.support.stack_env import free_ports, private_env

DIR3_SAMPLE = SHARED / "reference" / "dir3" / "dir3_units_sample_2021.csv"


@pytest.fixture(scope="package")
def site(kafka_bootstrap, tmp_path_factory) -> Site:
    """A portal wired by its composition root over the session's Kafka and a loopback SMTP server, over HTTPS."""
    directory = tmp_path_factory.mktemp("portal-browser")
    portal_pki = build_portal_pki(directory / "pki")
    smtp = SmtpSink(free_ports(1)[0]).start()
    files = tls_files(portal_pki, directory / "tls")
    env = private_env(kafka_bootstrap, directory / "state", free_ports(5), "browser")
    env.update(VENTANILLA_PORTAL_STAFF_NIFS=STAFF, VENTANILLA_PORTAL_SECRET_KEY="browser-tests",
               VENTANILLA_TRUST_STORE=str(portal_pki.trust), VENTANILLA_FACTURAE_SCHEMAS=str(SCHEMAS),
               VENTANILLA_SMTP_HOST="127.0.0.1", VENTANILLA_SMTP_PORT=str(smtp.port),
               VENTANILLA_PORTAL_RECEIPTS_PER_MINUTE="1000", VENTANILLA_REVOCATION_POLICY="soft-fail")
    settings = Settings.from_env(env)
    ensure_topics(settings)
    registry, seal_roots = receipts(directory / "seal")
    process = build(settings, overrides={"registry": registry, "seal_roots": seal_roots,
                                         "certificate_login": certificate_login()})
    process.app.extensions["portal"].dir3.replace_all(read_units(DIR3_SAMPLE.read_bytes())[0])
    process.start()
    server = HttpsServer(process.app, files, free_ports(1)[0]).start()
    try:
        assert requests.get(f"{server.url}/healthz", verify=str(files.client_ca_bundle), timeout=10).ok
        yield Site(server.url, process, People(portal_pki, directory / "people"), Nifs(), smtp, registry,
                   files.client_ca_bundle)
    finally:
        server.stop()
        process.stop()
        smtp.stop()


@pytest.fixture(scope="package")
def chromium():
    """Debian's Chromium, headless, for this package (its event loop must be gone before other tests run)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser-tools` installs Debian's chromium", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def visit(site, chromium, request):
    """visit(nif=None, lang="es"): a fresh browser context presenting that NIF's certificate (or none)."""
    contexts = []
    folder = ARTIFACTS / request.node.name.replace("[", "-").replace("]", "").replace("/", "_")
    shutil.rmtree(folder, ignore_errors=True)  # this run's pages only

    def open_as(nif: str | None = None, lang: str = "es") -> Visitor:
        visitor = Visitor.open(chromium, site, folder, nif, lang, label=f"{len(contexts) + 1}")
        contexts.append(visitor)
        return visitor

    yield open_as
    failed = getattr(request.node, "failed_call", False)
    for visitor in contexts:
        if failed:  # what the browser showed when the test failed
            visitor.page.screenshot(path=folder / f"{visitor.label}-failed.png", full_page=True)
        visitor.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True
    return report

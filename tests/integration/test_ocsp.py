"""Revocation by OCSP: certificates naming a responder on loopback, fetched by pyhanko-certvalidator."""
from __future__ import annotations

import shutil
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.registry import FACE
from tests.support.signing_pki import SUPPLIER_NIF, _supplier
from ventanilla import pki
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.intake import FacturaeIntake
from ventanilla.facturae.trust import CertificateChecker, TrustMaterial

pytestmark = pytest.mark.integration


@pytest.fixture
def responder(signing_pki):
    """An OCSP responder for the session PKI's intermediate CA: (URL, the dict of revoked serials, hits)."""
    revoked, hits = {}, []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            request = self.rfile.read(int(self.headers["Content-Length"]))
            hits.append(request)
            answer = pki.ocsp_response(signing_pki.intermediate, request, revoked)
            self.send_response(200)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ocsp", revoked, hits
    server.shutdown()


def test_ocsp_good_and_revoked(signing_pki, responder, tmp_path):
    url, revoked, hits = responder
    good = _supplier(signing_pki.intermediate, "OCSP", SUPPLIER_NIF, ocsp_url=url)
    bad = _supplier(signing_pki.intermediate, "OCSP REVOCADO", SUPPLIER_NIF, ocsp_url=url)
    revoked[bad.certificate.serial_number] = datetime.now(timezone.utc) - timedelta(hours=1)
    crls = tmp_path / "crls"  # the root's CRL covers the intermediate; the leaves rely on OCSP alone
    crls.mkdir()
    shutil.copy(signing_pki.crls / "root.crl", crls)
    checker = CertificateChecker(TrustMaterial.load(signing_pki.trust_store, crls), "require", fetch=True)
    intake = FacturaeIntake(None, checker)
    now = datetime.now(timezone.utc)
    intake.accept(signing_pki.sign(FACE.read_bytes(), good), now)
    assert hits, "the responder was not asked"
    with pytest.raises(DomainError) as caught:
        intake.accept(signing_pki.sign(FACE.read_bytes(), bad), now)
    assert caught.value.key is ErrorKey.SIGN_REVOKED
    no_fetch = FacturaeIntake(None, CertificateChecker(TrustMaterial.load(signing_pki.trust_store, crls), "require"))
    with pytest.raises(DomainError) as caught:
        no_fetch.accept(signing_pki.sign(FACE.read_bytes(), good), now)
    assert caught.value.key is ErrorKey.SIGN_UNKNOWN

"""Behind a TLS-terminating ingress: plain HTTP, the certificate in nginx's headers, trusted from proxies only."""
from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from .edge_server import start_edge
from .test_edge_tls import CONSULTA, fault_key

pytestmark = pytest.mark.integration


def _call(edge, nif: str) -> requests.Response:
    cert, _ = edge.client(nif)
    headers = {"Content-Type": "text/xml; charset=utf-8", "ssl-client-verify": "SUCCESS",
               "ssl-client-cert": quote(open(cert).read())}
    return requests.post(edge.url, data=CONSULTA, headers=headers, timeout=10)


@pytest.mark.parametrize("proxies, expected_key, expected_callers", [
    ("127.0.0.1/32", "credenciales.error.facturainvalida", ["99999999R"]),
    ("10.0.0.0/8", "credenciales.error.certificado.nif", []),
])
def test_the_forwarded_certificate_counts_only_from_a_trusted_proxy(tmp_path, free_ports, proxies, expected_key,
                                                                    expected_callers):
    edge = start_edge(tmp_path / "state", free_ports(4), VENTANILLA_SOAP_PLAIN_HTTP="1",
                      VENTANILLA_TRUSTED_PROXIES=proxies)
    try:
        assert edge.url.startswith("http://")
        response = _call(edge, "99999999R")
        assert fault_key(response) == expected_key and edge.status.callers == expected_callers
    finally:
        output = edge.stop()
    assert ("client certificate header ignored" in output) is (not expected_callers)

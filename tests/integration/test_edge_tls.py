"""The edge over real TLS (gunicorn, dev PKI): client certificates required, the NIF reaches the backends,
old protocols and foreign CAs refused, trickling clients cut off while others are served."""
from __future__ import annotations

import socket
import ssl
import threading
import time

import pytest
import requests
from lxml import etree

from ventanilla import pki

from .edge_server import large_upload_burst, start_edge

pytestmark = pytest.mark.integration
TNS = "http://v2.ws.efactura.ceh.gobiernodecanarias.org/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def envelope(operation: str, inner: str = "") -> bytes:
    return (f'<S:Envelope xmlns:S="{SOAP}"><S:Body><ns:{operation} xmlns:ns="{TNS}">{inner}</ns:{operation}>'
            "</S:Body></S:Envelope>").encode()


CONSULTA = envelope("consultarFactura", "<idFactura>7</idFactura>")


@pytest.fixture(scope="module")
def edge(tmp_path_factory, free_ports):
    edge = start_edge(tmp_path_factory.mktemp("edge-tls") / "state", free_ports(4),
                      VENTANILLA_SOAP_REQUEST_TIMEOUT_S="3", VENTANILLA_SOAP_HANDSHAKE_TIMEOUT_S="2")
    yield edge
    edge.stop()


def post(edge, body: bytes, cert=None, timeout: float = 10) -> requests.Response:
    return requests.post(edge.url, data=body, headers={"Content-Type": "text/xml; charset=utf-8"}, cert=cert,
                         verify=str(edge.pki.cert("ca")), timeout=timeout)


def fault_key(response: requests.Response) -> str:
    return etree.fromstring(response.content).findtext(f".//{{{TNS}}}ServicioError/mensajesError")


def test_the_nif_of_the_client_certificate_reaches_the_backend(edge):
    edge.status.callers.clear()
    response = post(edge, CONSULTA, edge.client("99999999R"))
    assert response.status_code == 500 and fault_key(response) == "credenciales.error.facturainvalida"
    response = post(edge, CONSULTA, edge.client("99999999R", entity_nif="B12345674"))
    assert fault_key(response) == "credenciales.error.facturainvalida"
    assert edge.status.callers == ["99999999R", "B12345674"]  # a representative acts for the entity


def test_a_certificate_without_a_nif_gets_the_certificate_fault_and_reaches_no_backend(edge):
    edge.status.callers.clear()
    response = post(edge, CONSULTA, (str(edge.pki.cert("probe")), str(edge.pki.key("probe"))))
    assert fault_key(response) == "credenciales.error.certificado.nif" and edge.status.callers == []


def test_no_client_certificate_no_connection(edge):
    with pytest.raises(requests.exceptions.SSLError):
        post(edge, envelope("version"))


def test_a_certificate_from_another_ca_is_refused(edge, tmp_path):
    stranger = pki.issue_ca(pki.name("Some other CA"))
    leaf = pki.issue_leaf(stranger, pki.name("X", serial_number="IDCES-99999999R"), pki.Usage.CLIENT)
    cert, key = leaf.write(tmp_path, "stranger")
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        post(edge, envelope("version"), (str(cert), str(key)))


def _handshake(edge, cert, version: ssl.TLSVersion) -> str:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(str(edge.pki.cert("ca")))
    context.load_cert_chain(*cert)
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.maximum_version = version
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", edge.settings.edge.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.version()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls_1_2_is_the_minimum(edge):
    cert = edge.client("99999999R")
    assert _handshake(edge, cert, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert _handshake(edge, cert, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _handshake(edge, cert, ssl.TLSVersion.TLSv1_1)


def _trickle(edge, cert, closed: list, stop_after_s: float) -> None:
    """Send a request head one header line every 0.3 s; note when the server hangs up (or answers)."""
    started = time.monotonic()
    context = ssl.create_default_context(cafile=str(edge.pki.cert("ca")))
    context.load_cert_chain(*cert)
    try:
        with socket.create_connection(("127.0.0.1", edge.settings.edge.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"POST /ws/v2/FacturaService HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                tls.settimeout(0.3)
                while time.monotonic() - started < stop_after_s:
                    try:
                        tls.recv(4096)  # an answer or the end: the server cut us off (session tickets: no data)
                        break
                    except (TimeoutError, ssl.SSLWantReadError):
                        pass
                    tls.sendall(b"X-Slow: 1\r\n")
    except (OSError, ssl.SSLError):
        pass
    closed.append(time.monotonic() - started)


def _stall_handshake(edge, closed: list, stop_after_s: float) -> None:
    """Open TCP, send the first bytes of a ClientHello and nothing more; note when the server hangs up."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", edge.settings.edge.port), timeout=stop_after_s) as raw:
        raw.sendall(b"\x16\x03\x01\x02\x00\x01")
        try:
            raw.recv(1)
        except OSError:
            pass
    closed.append(time.monotonic() - started)


def test_stalled_handshakes_are_cut_off(edge):
    stalled = []
    threads = [threading.Thread(target=_stall_handshake, args=(edge, stalled, 15.0)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(stalled) == 12 and max(stalled) < 8.0, stalled  # handshake deadline 2 s, 8 threads


def test_trickling_clients_are_cut_off_while_a_normal_client_is_served(edge):
    cert, slow, latencies = edge.client("99999999R"), [], []
    threads = [threading.Thread(target=_trickle, args=(edge, cert, slow, 20.0)) for _ in range(12)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # every one of the worker's 8 threads is now busy with a slow client, 4 more queued
    for _ in range(3):
        started = time.monotonic()
        assert post(edge, envelope("version"), cert, timeout=18).status_code == 200
        latencies.append(time.monotonic() - started)
    for thread in threads:
        thread.join(timeout=20)
    # FIFO behind the slow ones: at most (12 slow / 8 threads, rounded up) x the 3 s request deadline
    assert len(slow) == 12 and max(slow) < 10.0, slow
    assert max(latencies) < 10.0, latencies


def test_the_readme_zeep_snippet_works_over_tls(edge):
    from zeep import Client
    from zeep.transports import Transport

    session = requests.Session()
    session.cert = edge.client("99999999R")
    session.verify = str(edge.pki.cert("ca"))
    session.trust_env = False  # else REQUESTS_CA_BUNDLE, when set, silently replaces session.verify
    client = Client(f"{edge.url}?wsdl", transport=Transport(session=session))
    assert client.service.version() == "2.0"
    with pytest.raises(Exception, match="no puede acceder"):
        client.service.consultarFactura(idFactura=7)


def test_a_revoked_client_certificate_is_refused(tmp_path, free_ports):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from ventanilla import devpki
    from ventanilla.config import Settings

    state = tmp_path / "state"
    settings = Settings.from_env({"VENTANILLA_STATE_DIR": str(state)})
    devpki.init(settings)
    where = devpki.layout(settings)
    ca = pki.Issued(x509.load_pem_x509_certificate(where.cert("ca").read_bytes()),
                    serialization.load_pem_private_key(where.key("ca").read_bytes(), None))
    revoked = pki.issue_leaf(ca, pki.name("R", serial_number="IDCES-99999999R"), pki.Usage.CLIENT)
    kept = pki.issue_leaf(ca, pki.name("K", serial_number="IDCES-12345678Z"), pki.Usage.CLIENT)
    (tmp_path / "ca.crl.pem").write_bytes(pki.pem(pki.issue_crl(ca, (revoked.certificate,))))
    edge = start_edge(state, free_ports(4), VENTANILLA_SOAP_CLIENT_CRL=str(tmp_path / "ca.crl.pem"))
    try:
        good = kept.write(tmp_path, "kept")
        assert post(edge, envelope("version"), tuple(map(str, good))).status_code == 200
        bad = revoked.write(tmp_path, "revoked")
        with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
            post(edge, envelope("version"), tuple(map(str, bad)))
    finally:
        edge.stop()


def test_many_concurrent_large_uploads_keep_memory_bounded(tmp_path, free_ports):
    # a budget that lets one 7.3 MB inline envelope in at a time (it reserves 4x its length)
    edge = start_edge(tmp_path / "state", free_ports(4), VENTANILLA_SOAP_LARGE_BODY_MEMORY_MB="32")
    try:
        burst = large_upload_burst(edge, sample_s=0.05)
    finally:
        edge.stop()
    # every upload answered with a fault (the registry here is unimplemented: a server fault; over 8 MB: a
    # client fault, also with HTTP 500)
    assert sorted(burst.answers) == [500] * 18, burst.answers
    # measured over idle: ~60 MB through one slot; 210-290 MB with eight slots; ~320 MB through one slot
    # without the collection after each large body, 145 MB with glibc's default arenas
    assert burst.peak_mb - burst.idle_mb < 150, f"peak RSS {burst.peak_mb} MB, idle {burst.idle_mb} MB"

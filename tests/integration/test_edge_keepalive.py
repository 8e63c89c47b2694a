"""Kept-alive connections at the edge over real TLS: served request after request, released when their clients
leave, closed when idle past the keep-alive timeout, and answered with a close while the edge stops."""
from __future__ import annotations

import os
import ssl
import threading
import time
from pathlib import Path

import pytest

from soap_edge.http.server import limits

from .edge_server import start_edge
from .test_edge_slow_clients import _answers, _request, _tls
from .test_edge_tls import envelope

pytestmark = pytest.mark.integration

KEEPALIVE_S = limits()["keepalive"]
VERSION = _request(envelope("version"))


@pytest.fixture(scope="module")
def edge(tmp_path_factory, free_ports):
    edge = start_edge(tmp_path_factory.mktemp("edge-keepalive") / "state", free_ports(4))
    yield edge
    edge.stop()


def _answered(tls: ssl.SSLSocket) -> None:
    (answer,) = _answers(tls, 1)
    assert answer.startswith(b"HTTP/1.1 200") and b"<return>2.0</return>" in answer, answer[:300]


def _until_closed(tls: ssl.SSLSocket, timeout_s: float) -> bytes:
    """Everything the edge still sends until it closes the connection."""
    tls.settimeout(timeout_s)
    received = b""
    try:
        while chunk := tls.recv(65536):
            received += chunk
    except (ssl.SSLEOFError, ConnectionResetError):
        pass
    return received


def _open_descriptors(edge) -> int:
    (worker,) = Path(f"/proc/{edge.process.pid}/task/{edge.process.pid}/children").read_text().split()
    return len(os.listdir(f"/proc/{worker}/fd"))


def test_a_kept_alive_connection_is_served_request_after_request_and_after_pauses(edge):
    with _tls(edge, edge.client("99999999R")) as tls:
        for n in range(40):
            tls.sendall(VERSION)
            _answered(tls)
            if n % 10 == 9:
                time.sleep(1.5)  # the worker's loop wakes and sweeps its deadlines meanwhile


def test_an_idle_kept_alive_connection_is_closed_after_the_keepalive_timeout(edge):
    with _tls(edge, edge.client("99999999R")) as tls:
        tls.sendall(VERSION)
        _answered(tls)
        answered = time.monotonic()
        assert _until_closed(tls, timeout_s=KEEPALIVE_S + 15) == b""
        idle_s = time.monotonic() - answered
    assert KEEPALIVE_S - 0.5 <= idle_s <= KEEPALIVE_S + 4, idle_s


def test_kept_alive_connections_their_clients_close_are_released(edge):
    before = _open_descriptors(edge)
    connections = [_tls(edge, edge.client("99999999R")) for _ in range(30)]
    for tls in connections:
        tls.sendall(VERSION)
        _answered(tls)
    held = _open_descriptors(edge)
    for tls in connections:
        tls.close()
    deadline = time.monotonic() + 5
    while (now_open := _open_descriptors(edge)) > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert held >= before + 30 and now_open <= before, (before, held, now_open)


def test_a_stopping_edge_answers_a_kept_alive_connection_with_a_close_and_closes_the_idle_ones(tmp_path, free_ports):
    edge = start_edge(tmp_path / "state", free_ports(4))
    cert = edge.client("99999999R")
    with _tls(edge, cert) as asking, _tls(edge, cert) as idle:
        for tls in (asking, idle):
            tls.sendall(VERSION)
            _answered(tls)
        stopping = threading.Thread(target=edge.stop)
        started = time.monotonic()
        stopping.start()
        time.sleep(0.5)
        asking.sendall(VERSION)
        answer = _until_closed(asking, timeout_s=10)
        assert answer.startswith(b"HTTP/1.1 200") and b"\r\nConnection: close\r\n" in answer, answer[:300]
        assert _until_closed(idle, timeout_s=10) == b""
        idle_closed_s = time.monotonic() - started
        stopping.join(timeout=30)
    assert not stopping.is_alive() and idle_closed_s < 5.0, idle_closed_s

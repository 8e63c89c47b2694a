"""Arrival: a connection advanced without blocking until its request head is whole (socket pairs, no network)."""
from __future__ import annotations

import select
import socket
import ssl
import threading

import pytest

from soap_edge.http.arrival import HEAD_MAX_BYTES, Arrival, Step

from tests.unit.soap_edge.fakes import _test_ca

HEAD = b"POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"


@pytest.fixture
def pair():
    server, client = socket.socketpair()
    server.setblocking(False)
    yield server, client
    server.close()
    client.close()


def test_a_head_in_pieces_waits_for_reads_then_is_whole_with_what_follows(pair):
    server, client = pair
    arrival = Arrival(server, None, 10, 60)
    assert arrival.advance() is Step.READ
    client.sendall(HEAD[:20])
    assert arrival.advance() is Step.READ
    client.sendall(HEAD[20:])
    assert arrival.advance() is Step.HEAD and bytes(arrival.head) == HEAD


def test_bytes_left_from_an_earlier_request_count(pair):
    server, client = pair
    arrival = Arrival(server, None, 10, 60, buffered=HEAD[:30])
    client.sendall(HEAD[30:])
    assert arrival.advance() is Step.HEAD and bytes(arrival.head) == HEAD


@pytest.mark.parametrize("data", [b"GET / HTTP/1.0\n\n", b"X" * (HEAD_MAX_BYTES + 1)], ids=["bare-lf", "too-long"])
def test_gunicorn_judges_a_bare_lf_or_overlong_head_at_once(pair, data):
    server, client = pair
    client.sendall(data)
    assert Arrival(server, None, 10, 60).advance() is Step.HEAD


def test_a_peer_that_leaves_is_closed(pair):
    server, client = pair
    client.sendall(HEAD[:10])
    client.close()
    assert Arrival(server, None, 10, 60).advance() is Step.CLOSED


def _contexts(tmp_path):
    from ventanilla import pki

    ca = _test_ca()
    server_cert = pki.issue_leaf(ca, pki.name("localhost"), pki.Usage.SERVER, dns_names=("localhost",))
    cert, key = server_cert.write(tmp_path, "server")
    (tmp_path / "ca.pem").write_bytes(pki.pem(ca.certificate))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(str(cert), str(key))
    client = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    return server, client


def test_the_tls_handshake_advances_step_by_step_then_the_head_is_read(pair, tmp_path):
    server_context, client_context = _contexts(tmp_path)
    server, client = pair
    arrival = Arrival(server, server_context, handshake_s=10, head_s=60)
    assert arrival.handshaking and arrival.advance() is Step.READ  # no ClientHello yet
    done = threading.Event()

    def connect():
        with client_context.wrap_socket(client, server_hostname="localhost") as tls:
            tls.sendall(HEAD)
            done.wait(10)

    thread = threading.Thread(target=connect)
    thread.start()
    steps = []
    while (step := arrival.advance()) in (Step.READ, Step.WRITE) and len(steps) < 100:
        steps.append(step)
        waiting = ([arrival.sock], []) if step is Step.READ else ([], [arrival.sock])
        select.select(*waiting, [], 5)
    done.set()
    thread.join(10)
    assert step is Step.HEAD and not arrival.handshaking and bytes(arrival.head) == HEAD
    assert Step.READ in steps


def test_a_failed_handshake_is_closed_with_its_reason(pair, tmp_path):
    server_context, _ = _contexts(tmp_path)
    server, client = pair
    client.sendall(b"\x16\x03\x01\x00\x05hello not tls")
    arrival = Arrival(server, server_context, 10, 60)
    assert arrival.advance() is Step.CLOSED and arrival.refusal is not None

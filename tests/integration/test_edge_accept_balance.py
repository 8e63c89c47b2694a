"""Kept-alive connections opened at once split evenly over the edge's two gunicorn workers (soap_edge.http.balance)."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

from .edge_server import start_edge
from .test_edge_keepalive import VERSION, _answered
from .test_edge_slow_clients import _tls

pytestmark = pytest.mark.integration

BATCHES, CONNECTIONS = 8, 8  # without the balance, all 8 batches even: ~4 % of runs (measured 8 of 12 batches)


@pytest.fixture(scope="module")
def edge(tmp_path_factory, free_ports):
    edge = start_edge(tmp_path_factory.mktemp("edge-balance") / "state", free_ports(4), VENTANILLA_SOAP_WORKERS="2")
    yield edge
    output = edge.stop()
    assert "Traceback" not in output, output[-3000:]


def _workers(edge) -> list[str]:
    return Path(f"/proc/{edge.process.pid}/task/{edge.process.pid}/children").read_text().split()


def _held(edge, established_only: bool = True) -> list[int]:
    """Connections to the edge's port each worker holds (established, or in any state but listening)."""
    workers, port = _workers(edge), edge.settings.edge.port
    return sorted(sum(1 for c in psutil.Process(int(pid)).net_connections(kind="tcp")
                      if c.laddr and c.laddr.port == port and c.status != psutil.CONN_LISTEN
                      and (c.status == psutil.CONN_ESTABLISHED or not established_only))
                  for pid in workers)


def _batch(edge, cert) -> list[int]:
    """Open CONNECTIONS at once (as wrk -c8 does), a request on each; how the workers hold them; then close them."""
    connections, opened = [None] * CONNECTIONS, threading.Barrier(CONNECTIONS)

    def open_and_ask(n: int) -> None:
        opened.wait()
        connections[n] = _tls(edge, cert)
        connections[n].sendall(VERSION)
        _answered(connections[n])

    threads = [threading.Thread(target=open_and_ask, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(connections), "a connection was not answered"
    split = _held(edge)
    for connection in connections:
        connection.close()
    while sum(_held(edge, established_only=False)):  # the workers closed them before the next batch
        time.sleep(0.05)
    return split


def test_connections_opened_at_once_split_evenly_over_the_workers(edge):
    cert = edge.client("99999999R")
    splits = [_batch(edge, cert) for _ in range(BATCHES)]
    assert splits == [[CONNECTIONS // 2, CONNECTIONS // 2]] * BATCHES, splits


def test_a_killed_workers_replacement_takes_its_seat(edge):
    cert = edge.client("99999999R")
    killed, survivor = _workers(edge)
    os.kill(int(killed), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while killed in _workers(edge) or len(_workers(edge)) < 2:
        assert time.monotonic() < deadline, "gunicorn did not replace the killed worker"
        time.sleep(0.1)
    (replacement,) = set(_workers(edge)) - {survivor}
    while not _accepted_by(edge, cert, replacement):  # it loads the app first, then takes a seat and accepts
        assert time.monotonic() < deadline, "the replacement did not start accepting"
        time.sleep(0.2)
    assert [_batch(edge, cert) for _ in range(3)] == [[CONNECTIONS // 2, CONNECTIONS // 2]] * 3


def _accepted_by(edge, cert, worker: str) -> bool:
    """Whether `worker` accepted one new connection (answered, then closed)."""
    with _tls(edge, cert) as connection:
        connection.sendall(VERSION)
        _answered(connection)
        local = connection.getsockname()
        held = any(c.raddr and tuple(c.raddr) == local for c in psutil.Process(int(worker)).net_connections("tcp"))
    while sum(_held(edge, established_only=False)):
        time.sleep(0.05)
    return held

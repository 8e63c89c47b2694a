"""Kept-alive connections opened at once split evenly over the edge's two gunicorn workers (soap_edge.http.balance)."""
from __future__ import annotations

import threading
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
    edge.stop()


def _held(edge, established_only: bool = True) -> list[int]:
    """Connections to the edge's port each worker holds (established, or in any state but listening)."""
    workers = Path(f"/proc/{edge.process.pid}/task/{edge.process.pid}/children").read_text().split()
    port = edge.settings.edge.port
    return sorted(sum(1 for c in psutil.Process(int(pid)).net_connections(kind="tcp")
                      if c.laddr and c.laddr.port == port and c.status != psutil.CONN_LISTEN
                      and (c.status == psutil.CONN_ESTABLISHED or not established_only))
                  for pid in workers)


def test_connections_opened_at_once_split_evenly_over_the_workers(edge):
    cert = edge.client("99999999R")
    splits = []
    for _ in range(BATCHES):  # as wrk -c8 opens its connections: all at once, then a request on each
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
        splits.append(_held(edge))
        for connection in connections:
            connection.close()
        while sum(_held(edge, established_only=False)):  # the workers closed them before the next batch
            threading.Event().wait(0.05)
    assert splits == [[CONNECTIONS // 2, CONNECTIONS // 2]] * BATCHES, splits

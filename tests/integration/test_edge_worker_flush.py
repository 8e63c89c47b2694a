"""SIGTERM to the edge's gunicorn master: each worker exports its buffered spans at exit, within the flush bound.

A worker never closes its tracer provider itself: its atexit hook (Tracing.shutdown) does, within FLUSH_S. Without
that bound the export waits OTEL_EXPORTER_OTLP_TIMEOUT (set here far above the stop bound) for a collector that does
not answer, cut only by the SDK's own shutdown (30 s for its export thread, opentelemetry-sdk 1.45.2) or gunicorn's
graceful_timeout (the edge's stop bound, 60 s): the exit time (FLUSH_S and a little) has no other explanation.
"""
from __future__ import annotations

import socket
import threading

import pytest
import requests

from ventanilla.stopping import FLUSH_S, RESERVE_S, stop_bound_s
from soap_edge.http.server import stop_grace_s

from tests.support.otlp_receiver import OtlpReceiver

from .edge_server import Edge, start_edge
from .test_service_stop import stopped

pytestmark = pytest.mark.integration
EXPORT_TIMEOUT_S = 600  # each OTLP export's own timeout: far above the edge's stop bound (60 s with the defaults)


class SilentCollector:
    """A loopback TCP server that accepts every connection, reads what comes and never answers."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.received, self._held = bytearray(), []
        threading.Thread(target=self._accept, daemon=True, name="silent-collector").start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1/traces"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            self._held.append(connection)
            threading.Thread(target=self._read, args=(connection,), daemon=True).start()

    def _read(self, connection: socket.socket) -> None:
        try:
            while chunk := connection.recv(65536):
                self.received += chunk
        except OSError:
            pass

    def close(self) -> None:
        self._listener.close()
        for connection in self._held:
            connection.close()


def traced_edge(tmp_path, free_ports, endpoint: str) -> Edge:
    """The real edge (gunicorn, one worker, TLS) tracing every request to endpoint; spans stay buffered until exit."""
    return start_edge(tmp_path / "state", free_ports(4), OTEL_TRACES_EXPORTER="otlp",
                      OTEL_TRACES_SAMPLER="always_on", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=endpoint,
                      OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf", OTEL_EXPORTER_OTLP_TIMEOUT=str(EXPORT_TIMEOUT_S),
                      OTEL_BSP_SCHEDULE_DELAY="600000")  # no periodic export: only the exit's flush sends the span


def one_request(edge: Edge) -> None:
    """A POST the edge refuses with a SOAP fault: one server span, named after its path, in the worker's buffer."""
    answer = requests.post(edge.url, data=b"not xml", headers={"Content-Type": "text/xml; charset=utf-8"},
                           cert=edge.client("99999999R"), verify=str(edge.pki.cert("ca")), timeout=30)
    assert answer.status_code == 500, answer.text[:300]


def test_a_worker_exits_within_the_flush_bound_when_the_collector_never_answers(tmp_path, free_ports):
    collector = SilentCollector()
    edge = traced_edge(tmp_path, free_ports, collector.endpoint)
    try:
        bound_s = stop_bound_s(stop_grace_s(edge.settings))
        assert EXPORT_TIMEOUT_S > bound_s  # unbounded, the export would outlast the stop: gunicorn's kill would end it
        one_request(edge)
        assert not collector.received  # the span is still buffered in the worker
        code, seconds = stopped(edge.process, bound_s + 5)
    finally:
        output = edge.stop()
        collector.close()
    assert code == 0, (code, seconds, output[-3000:])
    # the flush waited its bound, no more: the worker left by itself, within the bound's reserve (unbounded, the
    # SDK's own shutdown waits 30 s for its export thread: measured 30.3 s here, inside the edge's 60 s bound)
    assert FLUSH_S <= seconds < RESERVE_S < bound_s, (seconds, bound_s, output[-3000:])
    assert b"POST /v1/traces" in collector.received, output[-3000:]  # the exit's flush tried to export the span
    assert "the spans still buffered were not exported in time; dropped" in output, output[-3000:]
    assert "SIGKILL" not in output and "WORKER TIMEOUT" not in output, output[-3000:]


def test_a_worker_exports_its_buffered_span_when_it_exits(tmp_path, free_ports):
    receiver = OtlpReceiver().start()
    edge = traced_edge(tmp_path, free_ports, receiver.endpoint)
    try:
        bound_s = stop_bound_s(stop_grace_s(edge.settings))
        one_request(edge)
        name = f"POST {edge.settings.edge.path}"
        assert not [s for s in receiver.spans if s.name == name]  # buffered, not exported yet
        code, seconds = stopped(edge.process, bound_s + 5)
    finally:
        output = edge.stop()
        receiver.stop()
    assert code == 0, (code, seconds, output[-3000:])
    assert seconds < RESERVE_S < bound_s, (seconds, bound_s, output[-3000:])
    spans = [s for s in receiver.spans if s.name == name]
    assert [(s.service, s.kind) for s in spans] == [("soap-edge", "server")], receiver.spans
    assert "not exported in time" not in output, output[-3000:]

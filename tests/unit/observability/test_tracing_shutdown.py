"""The spans still buffered are exported within a bound, whatever the collector does (a stop's budget)."""
from __future__ import annotations

import socket
import time

import pytest

from ventanilla.observability.tracing import Tracing


@pytest.fixture
def silent_collector():
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
@pytest.mark.parametrize("collector", ["silent_collector", "closed_port"])
def test_a_collector_that_does_not_answer_costs_the_shutdown_its_timeout_only(monkeypatch, request, protocol,
                                                                             collector):
    port = request.getfixturevalue(collector)
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}", "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
           "OTEL_EXPORTER_OTLP_TIMEOUT": "30",  # each export's own timeout: an operator's choice, not the stop's
           "OTEL_BSP_SCHEDULE_DELAY": "600000"}  # the span stays buffered until the shutdown
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    tracing = Tracing.from_env("status", env)
    with tracing.tracer("t").start_as_current_span("buffered"):
        pass
    started = time.monotonic()
    flushed = tracing.shutdown(1.0)
    assert time.monotonic() - started < 5.0
    assert flushed is False  # the span could not be exported: dropped, not waited for
    started = time.monotonic()
    assert tracing.shutdown(1.0) is True and time.monotonic() - started < 1.0  # again: already shut down


def test_a_provider_with_nothing_buffered_shuts_down_at_once(monkeypatch, silent_collector):
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{silent_collector}", "OTEL_EXPORTER_OTLP_TIMEOUT": "30"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Tracing.from_env("status", env).shutdown(5.0) is True

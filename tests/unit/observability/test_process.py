"""A process's observability as its settings ask: metrics kept and served, or "off" and nothing kept."""
from __future__ import annotations

from ventanilla.observability.grpc_metrics import MeteredServerCalls

from ventanilla.observability.grpc_interceptors import RequestIdServerInterceptor
from ventanilla.observability.metrics import Metrics, NoMetrics
from ventanilla.observability.process import Observability


def test_metrics_off_keeps_nothing_and_adds_no_metric_interceptor():
    off = Observability.from_env("registry", env={"VENTANILLA_REGISTRY_METRICS_ADDRESS": "off"})
    assert isinstance(off.metrics, NoMetrics) and not off.tracing.enabled
    off.metrics.registry_stage_duration.labels(stage="parse").observe(1.0)  # dropped, no error
    assert [type(i) for i in off.server_interceptors()] == [RequestIdServerInterceptor]
    off.serve()  # nothing to serve
    off.close()


def test_metrics_on_are_served_on_the_address_asked(tmp_path):
    on = Observability.from_env("status", {"projection": tmp_path},
                                env={"VENTANILLA_STATUS_METRICS_ADDRESS": "127.0.0.1:0"})
    assert isinstance(on.metrics, Metrics)
    assert any(isinstance(i, MeteredServerCalls) for i in on.server_interceptors())
    on.serve()
    try:
        import urllib.request

        on.metrics.notices_published.inc()
        text = urllib.request.urlopen(f"http://127.0.0.1:{on._server.port}/metrics", timeout=5).read().decode()
        assert "ventanilla_backoffice_notices_published_total 1.0" in text
        assert "ventanilla_volume_free_bytes" in text and "process_cpu_seconds_total" in text
    finally:
        on.close()

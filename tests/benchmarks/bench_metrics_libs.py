"""Per-observation cost of the two metric stacks the issue allowed, same run: prometheus-client (in-process and
gunicorn multiprocess mode) and the OpenTelemetry SDK with its Prometheus reader. Prints JSON.

One observation = what the edge does per SOAP request: a labelled counter increment and a labelled histogram
observation. `python tests/benchmarks/bench_metrics_libs.py [observations]`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
LABELS = {"operation": "consultarEstadoFactura", "outcome": "ok", "fault_key": "none"}
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _best_ns(observe, n: int, repeats: int = 5) -> float:
    """The best of `repeats` timings, in nanoseconds per observation (best: least disturbed by neighbours)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter_ns()
        for _ in range(n):
            observe()
        best = min(best, (time.perf_counter_ns() - started) / n)
    return round(best, 1)


def prometheus_client_ns(n: int) -> float:
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    requests = Counter("requests_total", "r", list(LABELS), registry=registry)
    seconds = Histogram("seconds", "s", ["operation", "outcome"], buckets=BUCKETS, registry=registry)

    def observe():
        requests.labels(**LABELS).inc()
        seconds.labels(operation=LABELS["operation"], outcome="ok").observe(0.012)

    return _best_ns(observe, n)


def opentelemetry_ns(n: int) -> float:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View

    provider = MeterProvider(metric_readers=[PrometheusMetricReader()],
                             views=[View(instrument_name="seconds", aggregation=ExplicitBucketHistogramAggregation(
                                 BUCKETS))])
    meter = provider.get_meter("bench")
    requests, seconds = meter.create_counter("requests"), meter.create_histogram("seconds", unit="s")
    histogram_labels = {"operation": LABELS["operation"], "outcome": "ok"}

    def observe():
        requests.add(1, LABELS)
        seconds.record(0.012, histogram_labels)

    try:
        return _best_ns(observe, n)
    finally:
        provider.shutdown()


def _in_child(function: str, n: int, env: dict) -> float:
    code = f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); import bench_metrics_libs as b; " \
           f"print(b.{function}({n}))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    base = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    with tempfile.TemporaryDirectory() as multiproc:
        results = {"observations": N, "load_average_before": os.getloadavg()[0]}
        for _ in range(2):  # interleaved, twice: the machine is shared
            results.setdefault("prometheus_client_ns", []).append(_in_child("prometheus_client_ns", N, base))
            results.setdefault("prometheus_client_multiprocess_ns", []).append(
                _in_child("prometheus_client_ns", N, {**base, "PROMETHEUS_MULTIPROC_DIR": multiproc}))
            results.setdefault("opentelemetry_sdk_ns", []).append(_in_child("opentelemetry_ns", N, base))
    best = {k: min(v) for k, v in results.items() if k.endswith("_ns")}
    results["best_ns"] = best
    results["otel_over_prometheus_client"] = round(best["opentelemetry_sdk_ns"] / best["prometheus_client_ns"], 2)
    results["multiprocess_over_in_process"] = round(
        best["prometheus_client_multiprocess_ns"] / best["prometheus_client_ns"], 2)
    results["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

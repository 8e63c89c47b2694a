"""The edge's CPU per consultarEstadoFactura with and without metrics and tracing, in one process: the WSGI app of
each variant built side by side against one stack's backends and called in turn, slice after slice.

`python -m tests.benchmarks.edge_overhead` (bench_observability.py runs it): the stack's environment and the
settings arrive as JSON on stdin; JSON out. Its own process because prometheus-client chooses its multiprocess
values (files, as in gunicorn workers) when first imported. CPU is the process's (time.process_time: the calling
thread and gRPC's), which a neighbour's load disturbs far less than the wall clock of a whole HTTP stack.

Variants: off (nothing kept), metrics, metrics + tracing sampled at 10 % (OTLP/HTTP to a loopback receiver), and
with "ratios" more traced edges (e.g. 0 and 1: the unsampled path alone, every request sampled), and
with --before REV the metrics as REV observed them (REV's soap_edge/http/metering.py and its metered gRPC client
interceptor, loaded from git), and with
both, the unsampled path as REV had it (a traced edge at ratio 0 with REV's ventanilla/observability/wsgi.py).
"""
from __future__ import annotations

import inspect
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="edge-overhead-")  # before prometheus_client

ROOT = Path(__file__).resolve().parents[2]
OFF, METRICS, TRACED = "metrics off, tracing off", "metrics on, tracing off", "metrics on, tracing sampled 10 %"
SAMPLED = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1",
           "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}


def _module_of(rev: str, path: str, name: str):
    """A module of another commit, loaded from git (its imports resolve against this checkout)."""
    import importlib.util
    import subprocess

    source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, check=True).stdout
    file = Path(tempfile.mkdtemp(prefix="before-")) / Path(path).name
    file.write_bytes(source)
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def before_modules(rev: str):
    """REV's soap_edge/http/metering.py and ventanilla/observability/grpc_metrics.py, loaded from git (with REV's
    children.py under its own name when REV had one: it is gone since the metrics are tallied)."""
    import subprocess

    has_children = subprocess.run(["git", "cat-file", "-e", f"{rev}:ventanilla/observability/children.py"],
                                  cwd=ROOT, capture_output=True).returncode == 0
    if has_children and "ventanilla.observability.children" not in sys.modules:
        sys.modules["ventanilla.observability.children"] = _module_of(
            rev, "ventanilla/observability/children.py", "ventanilla.observability.children")
    return (_module_of(rev, "services/soap-edge/soap_edge/http/metering.py", "before_metering"),
            _module_of(rev, "ventanilla/observability/grpc_metrics.py", "before_grpc_metrics"))


def edges(settings, receiver_endpoint: str, before: str | None, ratios: tuple[str, ...] = ()):
    """The WSGI app of each variant (and more traced ones at the sampling ratios given), and the 10 % tracing."""
    from prometheus_client import CollectorRegistry

    import soap_edge.__main__ as edge_main
    from ventanilla.observability.grpc_client import ObservedChannel
    from ventanilla.observability.metrics import Metrics, NoMetrics
    from ventanilla.observability.process import Observability
    from ventanilla.observability.tally import Tallies
    from ventanilla.observability.tracing import Tracing

    def tracing(ratio: str) -> Tracing:
        os.environ.update({**SAMPLED, "OTEL_TRACES_SAMPLER_ARG": ratio,  # the SDK reads them
                           "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver_endpoint})
        return Tracing.from_env("soap-edge")

    traced = tracing(SAMPLED["OTEL_TRACES_SAMPLER_ARG"])
    found = {OFF: edge_main.build(settings, observability=Observability(NoMetrics("soap-edge"), Tracing.off())),
             METRICS: edge_main.build(settings, observability=Observability(Metrics("soap-edge"), Tracing.off())),
             TRACED: edge_main.build(settings, observability=Observability(Metrics("soap-edge"), traced))}
    for ratio in ratios:  # where tracing's time goes: none sampled (the unsampled path alone), all sampled
        found[f"metrics on, tracing sampled at {ratio}"] = edge_main.build(
            settings, observability=Observability(Metrics("soap-edge"), tracing(ratio)))
    if before is not None:
        before_metering, before_grpc = before_modules(before)

        class Before(Observability):
            """REV's channel: its metered client interceptor in this checkout's observed channel."""

            def channel(self, channel):
                calls = before_grpc.MeteredClientCalls  # tallied since i14-metrics: it takes the process's Tallies
                more = (Tallies(),) if "tallies" in inspect.signature(calls).parameters else ()
                return ObservedChannel(channel, calls(CollectorRegistry(), *more))

        if "0" in ratios:  # REV's server spans, sampling nothing: the unsampled path before and after, same run
            spans = edge_main.ServerSpans
            edge_main.ServerSpans = _module_of(before, "ventanilla/observability/wsgi.py", "before_wsgi").ServerSpans
            try:
                found[f"metrics on, tracing sampled at 0 ({before})"] = edge_main.build(
                    settings, observability=Observability(Metrics("soap-edge"), tracing("0")))
            finally:
                edge_main.ServerSpans = spans
        current = edge_main.Metering
        edge_main.Metering = before_metering.Metering
        try:
            found[f"{METRICS} ({before})"] = edge_main.build(
                settings, observability=Before(Metrics("soap-edge"), Tracing.off()))
        finally:
            edge_main.Metering = current
    return found, traced


def measure(given: dict) -> dict:
    """CPU µs per request of each variant: `slices` turns of `per_slice` requests each, variants in turn (each
    turn starting with the next one); each variant's ratio to off is the median of its per-turn ratios."""
    from ventanilla.config import Settings
    from tests.benchmarks import requests_
    from tests.benchmarks.benchstack import INGRESS, ClientCert
    from tests.benchmarks.edge_profile import _environ
    from tests.support.otlp_receiver import OtlpReceiver

    client = ClientCert(*(Path(given[k]) for k in ("cert", "key", "ca")))
    settings = Settings.from_env({**given["env"], **INGRESS, "VENTANILLA_EDGE_ACCESS_MODE": "open"})
    invoice_id = requests_.register_one(Settings.from_env(given["env"]).edge.url, client.ssl_context)
    receiver = OtlpReceiver().start()
    apps, tracing = edges(settings, receiver.endpoint, given.get("before"), tuple(given.get("ratios", ())))
    content_type, body = requests_.estado(invoice_id)
    headers = client.ingress_headers

    def call(app) -> None:
        statuses = []
        chunks = app(_environ(settings.edge.path, content_type, body, headers),
                     lambda status, _headers, *_: statuses.append(status))
        b"".join(chunks)
        assert statuses[0].startswith("200"), statuses

    for app in apps.values():  # warm-up: channels, spyne, caches
        for _ in range(100):
            call(app)
    cpu: dict[str, list[float]] = {name: [] for name in apps}
    names = list(apps)
    for turn in range(given["slices"]):
        for name in names[turn % len(names):] + names[:turn % len(names)]:  # each variant first in turn
            started = time.process_time()
            for _ in range(given["per_slice"]):
                call(apps[name])
            cpu[name].append((time.process_time() - started) * 1e6 / given["per_slice"])
    tracing.shutdown(60.0)  # the last spans exported (a bound far above what they take)
    receiver.stop()
    return {"requests_per_variant": given["slices"] * given["per_slice"], "spans_received": len(receiver.spans),
            "variants": {name: {"cpu_us_per_request": round(statistics.median(v), 1),
                                # each slice against the off slice of the same turn: drift cancels out
                                "vs_off": round(statistics.median(x / o for x, o in zip(v, cpu[OFF])), 3),
                                "added_us": round(statistics.median(x - o for x, o in zip(v, cpu[OFF])), 1),
                                "slices_us": [round(x) for x in v]} for name, v in cpu.items()}}


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(ROOT / "services" / "soap-edge")]
    print(json.dumps(measure(json.load(sys.stdin))))

"""The overhead of metrics and tracing on consultarEstadoFactura and enviarFactura throughput, same run.

`python tests/benchmarks/bench_observability.py [rounds] [--before REV]`. One private stack (backends as deployed: metrics on,
tracing off); three extra edges on it, in ingress mode so that wrk can load them, differing only in their
environment: metrics off (VENTANILLA_SOAP_METRICS_ADDRESS=off), metrics on (gunicorn multiprocess files, /metrics
served), and metrics on + tracing sampled at 10 % (OTLP/HTTP to a receiver on loopback in this process). Rounds
are interleaved (off, metrics, traced, off, ...); --before REV adds the traced edge of another commit (its
`ventanilla` and `soap_edge` exported by git archive, this checkout's generated protobuf modules copied in) so the machine's drift falls on every variant alike; medians.
Besides throughput, the edge's own CPU time per request answered (master and workers, from /proc): on a shared,
loaded machine it is the steadier measure of what the instrumentation costs.
Prints JSON and writes var/bench/observability.json.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks import requests_  # noqa: E402
from tests.benchmarks.bench_soap_edge import machine, publish  # noqa: E402
from tests.benchmarks.benchstack import cpu_seconds, export_tree, extra_server, running_stack  # noqa: E402
from tests.benchmarks.loadgen import python_load, wrk  # noqa: E402
from tests.support.otlp_receiver import OtlpReceiver  # noqa: E402
from tests.support.stack_env import free_ports  # noqa: E402

_PARSER = argparse.ArgumentParser()
_PARSER.add_argument("rounds", type=int, nargs="?", default=3)
_PARSER.add_argument("--before", help="also the traced edge of this commit")
_ARGS = _PARSER.parse_args()
ROUNDS, BEFORE = _ARGS.rounds, _ARGS.before
SECONDS, CONNECTIONS = 8, 8
ENVIAR = (100 * 1024, 60, 4)  # Facturae size, requests per round (each a new invoice), connections
OUT = ROOT / "var" / "bench" / "observability.json"


TRACED = "metrics on, tracing sampled 10 %"


def variants(receiver: OtlpReceiver, scratch: Path) -> dict[str, dict[str, str]]:
    """The edges' environments (three, four with --before)."""
    def metered(name: str) -> dict[str, str]:
        return {"VENTANILLA_SOAP_METRICS_ADDRESS": f"127.0.0.1:{free_ports(1)[0]}",
                "PROMETHEUS_MULTIPROC_DIR": str(scratch / name)}
    def traced(name: str) -> dict[str, str]:
        return {**metered(name), "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "0.1"}
    found = {"metrics off, tracing off": {"VENTANILLA_SOAP_METRICS_ADDRESS": "off"},
             "metrics on, tracing off": metered("metrics"), TRACED: traced("traced")}
    if BEFORE is not None:
        before = scratch / "before"
        before.mkdir()
        found[f"{TRACED} ({BEFORE})"] = {**traced("traced-before"),
                                          "PYTHONPATH": str(export_tree(BEFORE, before) / "services" / "soap-edge")}
    return found


def _median(results: list, cpu: list[float]) -> dict:
    return {"rps": round(statistics.median(r.rps for r in results), 2),
            "edge_cpu_ms_per_request": round(statistics.median(cpu), 3),
            "p50_ms": round(statistics.median(r.p50_ms for r in results), 2),
            "p99_ms": round(statistics.median(r.p99_ms for r in results), 2),
            "errors": sum(r.errors for r in results), "rounds": [round(r.rps, 2) for r in results]}


def run(stack) -> dict:
    """Interleaved rounds on each edge; medians, and each variant's throughput relative to metrics off."""
    headers, tls = stack.client.ingress_headers, stack.client.ssl_context
    estado = requests_.estado(requests_.register_one(stack.soap_url, tls))
    receiver = OtlpReceiver().start()
    consultar: dict[str, list] = {}
    enviar: dict[str, list] = {}
    cpu: dict[tuple[str, str], list[float]] = {}

    def measured(operation: str, name: str, load):
        """Run load; keep its result and the edge's CPU milliseconds (master and workers) per request answered."""
        before = cpu_seconds(pids[name])
        result = load()
        done = max(1, result.requests)
        cpu.setdefault((operation, name), []).append((cpu_seconds(pids[name]) - before) * 1000 / done)
        return result

    with tempfile.TemporaryDirectory() as scratch, ExitStack() as edges:
        started: list = []
        urls, pids = {}, {}
        for name, env in variants(receiver, Path(scratch)).items():
            cwd = Path(env["PYTHONPATH"]).parents[1] if "PYTHONPATH" in env else ROOT
            urls[name] = edges.enter_context(extra_server(stack, "soap_edge", env=env, started=started, cwd=cwd))
            pids[name] = started[-1].pid
        size, count, concurrency = ENVIAR
        for url in urls.values():  # warm-up: channels, spyne, the first invoices
            wrk(url, *estado, seconds=2, connections=CONNECTIONS, headers=headers)
            python_load(url, [requests_.enviar_mtom(size) for _ in range(4)], concurrency=1, headers=headers)
        for _ in range(ROUNDS):
            for name, url in urls.items():
                consultar.setdefault(name, []).append(measured(
                    "consultarEstadoFactura", name, lambda: wrk(url, *estado, SECONDS, CONNECTIONS, headers=headers)))
            for name, url in urls.items():
                bodies = [requests_.enviar_mtom(size) for _ in range(count)]
                enviar.setdefault(name, []).append(measured(
                    "enviarFactura", name, lambda: python_load(url, bodies, concurrency=concurrency, headers=headers)))
        time.sleep(1)  # the last batch of spans
    receiver.stop()
    summary = {}
    for operation, results in (("consultarEstadoFactura", consultar), ("enviarFactura", enviar)):
        medians = {name: _median(rounds, cpu[operation, name]) for name, rounds in results.items()}
        base = medians["metrics off, tracing off"]
        for median in medians.values():
            median["throughput_vs_off"] = round(median["rps"] / base["rps"], 3)
            median["edge_cpu_per_request_vs_off"] = round(median["edge_cpu_ms_per_request"]
                                                          / base["edge_cpu_ms_per_request"], 3)
        summary[operation] = medians
    summary["spans_received"] = len(receiver.spans)
    summary["load"] = (f"consultarEstadoFactura: wrk -t1 -c{CONNECTIONS} -d{SECONDS}s per round; enviarFactura: "
                       f"{count} new {size // 1024} KB MTOM invoices per round over {concurrency} connections "
                       f"(Python client); {ROUNDS} interleaved rounds{f'; before: {BEFORE}' if BEFORE else ''}; edges in ingress mode (plain HTTP + the "
                       "ingress's client-certificate headers), 2 gunicorn workers each; backends shared, metrics on, "
                       "tracing off")
    return summary


def main() -> int:
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with running_stack() as stack:
        results["overhead"] = run(stack)
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())

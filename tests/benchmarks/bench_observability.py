"""The overhead of metrics and tracing on consultarEstadoFactura and enviarFactura throughput, same run.

`python tests/benchmarks/bench_observability.py [rounds] [--before REV] [--short] [--in-process-only] [--ratios 0,1]`. One private stack (backends as deployed: metrics on,
tracing off); three extra edges on it, in ingress mode so that wrk can load them, differing only in their
environment: metrics off (VENTANILLA_SOAP_METRICS_ADDRESS=off), metrics on (gunicorn multiprocess files, /metrics
served), and metrics on + tracing sampled at 10 % (OTLP/HTTP to a receiver on loopback in this process). Rounds
are interleaved (off, metrics, traced, off, ...); --before REV adds the metrics and the traced edges of another
commit (its `ventanilla` and `soap_edge` exported by git archive, this checkout's generated protobuf modules copied
in) so the machine's drift falls on every variant alike; medians. --short: 2 rounds of 4 s and 20 invoices.
Besides throughput, the edge's own CPU time per request answered (master and workers, from /proc): on a shared,
loaded machine it is the steadier measure of what the instrumentation costs.
Then the same edges' CPU per consultarEstadoFactura measured in one process (tests/benchmarks/edge_overhead.py:
WSGI apps side by side, no HTTP server, slices interleaved), the steadier figure on a loaded machine.
Last, each part of the metrics alone, as this checkout and --before REV (or main) have it
(tests/benchmarks/metering_cost.py). Prints JSON (with the goal rows: each variant against metrics off, same run) and writes var/bench/observability.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
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
_PARSER.add_argument("--before", help="also the metrics and traced edges of this commit")
_PARSER.add_argument("--short", action="store_true", help="2 rounds of 4 s and 20 invoices (make bench)")
_PARSER.add_argument("--ratios", default="", help="in one process, traced edges at these sampling ratios too (0,1)")
_PARSER.add_argument("--in-process-only", action="store_true", help="skip the HTTP rounds (edge_overhead.py only)")
_ARGS, _ = _PARSER.parse_known_args()  # run_all.py's own arguments (script names) are not ours
ROUNDS, BEFORE = (2 if _ARGS.short else _ARGS.rounds), _ARGS.before
SECONDS, CONNECTIONS = (4 if _ARGS.short else 8), 8
ENVIAR = (100 * 1024, 20 if _ARGS.short else 60, 4)  # Facturae size, requests per round (each a new invoice), connections
OUT = ROOT / "var" / "bench" / "observability.json"


OFF, METRICS, TRACED = "metrics off, tracing off", "metrics on, tracing off", "metrics on, tracing sampled 10 %"
GOALS = {METRICS: 1.03, TRACED: 1.10}  # issue 14: overhead at most 3 % (tracing off), 10 % (sampled at 10 %)


def variants(receiver: OtlpReceiver, scratch: Path) -> dict[str, dict[str, str]]:
    """The edges' environments (three, four with --before)."""
    def metered(name: str) -> dict[str, str]:
        return {"VENTANILLA_SOAP_METRICS_ADDRESS": f"127.0.0.1:{free_ports(1)[0]}",
                "PROMETHEUS_MULTIPROC_DIR": str(scratch / name)}
    def traced(name: str) -> dict[str, str]:
        return {**metered(name), "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "0.1"}
    found = {OFF: {"VENTANILLA_SOAP_METRICS_ADDRESS": "off"}, METRICS: metered("metrics"), TRACED: traced("traced")}
    if BEFORE is not None:
        before = scratch / "before"
        before.mkdir()
        path = {"PYTHONPATH": str(export_tree(BEFORE, before) / "services" / "soap-edge")}
        found[f"{METRICS} ({BEFORE})"] = {**metered("metrics-before"), **path}
        found[f"{TRACED} ({BEFORE})"] = {**traced("traced-before"), **path}
    return found


def in_process(stack) -> dict:
    """tests/benchmarks/edge_overhead.py in its own process against this stack (its prometheus-client in
    multiprocess mode from the start)."""
    given = {"env": stack.env, "cert": str(stack.client.cert), "key": str(stack.client.key), "ca": str(stack.client.ca),
             "slices": 12 if _ARGS.short else 40, "per_slice": 60, "before": BEFORE,
             "ratios": [r for r in _ARGS.ratios.split(",") if r]}
    done = subprocess.run([sys.executable, "-m", "tests.benchmarks.edge_overhead"], input=json.dumps(given), cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(done.stdout.strip().splitlines()[-1])


def parts(rev: str) -> dict:
    """tests/benchmarks/metering_cost.py in its own process: each part of the metrics alone, this checkout and rev."""
    done = subprocess.run([sys.executable, "-m", "tests.benchmarks.metering_cost", rev], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(done.stdout.strip().splitlines()[-1])


def goal_rows(summary: dict) -> list[str]:
    """Each variant's overhead against metrics off in the same run, next to the issue's goal."""
    rows = []
    for operation in ("consultarEstadoFactura", "enviarFactura"):
        for name, median in summary.get(operation, {}).items():
            goal = next((g for variant, g in GOALS.items() if name.startswith(variant)), None)
            if goal is None:
                continue
            cpu, rps = median["edge_cpu_per_request_vs_off"], median["throughput_vs_off"]
            rows.append(f"{operation} | {name} | edge CPU/request {cpu:.3f}x off | throughput {rps:.3f}x off | "
                        f"goal: overhead <= {round((goal - 1) * 100)} % -> CPU {'met' if cpu <= goal else 'NOT met'}, "
                        f"throughput {'met' if rps >= 2 - goal else 'NOT met'}")
    for name, variant in summary["in_process"]["variants"].items():
        goal = next((g for prefix, g in GOALS.items() if name.startswith(prefix)), None)
        if goal is not None:
            rows.append(f"consultarEstadoFactura in one process | {name} | edge CPU/request {variant['vs_off']:.3f}x off "
                        f"(+{variant['added_us']} us) | goal: overhead <= {round((goal - 1) * 100)} % -> "
                        f"{'met' if variant['vs_off'] <= goal else 'NOT met'}")
    return rows


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
        base = medians[OFF]
        for median in medians.values():
            median["throughput_vs_off"] = round(median["rps"] / base["rps"], 3)
            median["edge_cpu_per_request_vs_off"] = round(median["edge_cpu_ms_per_request"]
                                                          / base["edge_cpu_ms_per_request"], 3)
        summary[operation] = medians
    summary["spans_received"] = len(receiver.spans)
    summary["in_process"] = in_process(stack)
    summary["load"] = (f"consultarEstadoFactura: wrk -t1 -c{CONNECTIONS} -d{SECONDS}s per round; enviarFactura: "
                       f"{count} new {size // 1024} KB MTOM invoices per round over {concurrency} connections "
                       f"(Python client); {ROUNDS} interleaved rounds{f'; before: {BEFORE}' if BEFORE else ''}; edges in ingress mode (plain HTTP + the "
                       "ingress's client-certificate headers), 2 gunicorn workers each; backends shared, metrics on, "
                       "tracing off")
    return summary


def main() -> int:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "commit": commit.stdout.strip(), "command": " ".join(["bench_observability.py", *sys.argv[1:]])}
    with running_stack() as stack:
        results["overhead"] = {"in_process": in_process(stack)} if _ARGS.in_process_only else run(stack)
    results["goals"] = goal_rows(results["overhead"])
    results["metering_parts_us_per_request"] = parts(BEFORE or "main")
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())

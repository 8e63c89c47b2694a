"""The edge before and after handshakes and heads moved to the event loop, in one run:
`python tests/benchmarks/bench_slow_clients.py [--before REV] [--rounds N]` (also run by `make bench`). Prints JSON.

One private stack (`ventanilla up`); next to its edge, two more edges over the stack's TLS (client certificates
required) and two in ingress mode, all on the stack's backends with 2 workers x 8 threads: "before" runs the
`soap_edge` package of REV (default: the merge base with main, i.e. the edge as it was), exported with
`git archive` and put first on PYTHONPATH; "after" runs this checkout's. Rounds alternate before and after.

- throughput: `version` and consultarEstadoFactura, Python client over TLS (keep-alive, 8 connections) and
  wrk -t1 -c8 in ingress mode (plain HTTP with the ingress's certificate headers);
- slow clients: a normal client (a new TLS connection per `version` call) alone, next to 20 idle TCP
  connections (the issue's case), and next to 200 idle + 50 stalled handshakes + 50 trickling heads.

When Debian's nginx is installed (`apt-get install nginx-light`), a third variant puts it in front, the
alternative considered: nginx terminates TLS with client certificates and proxies to the "after" edge in
ingress mode (its certificate headers), measured with the same TLS client and attacks.
"""
from __future__ import annotations

import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks import requests_  # noqa: E402
from tests.benchmarks.bench_soap_edge import machine  # noqa: E402
from tests.benchmarks.benchstack import BenchStack, cpu_seconds, extra_server, running_stack  # noqa: E402
from tests.benchmarks.loadgen import python_load, wrk  # noqa: E402
from tests.benchmarks.nginx_front import nginx_front  # noqa: E402
from tests.support.slow_clients import Attack, SlowClients, latencies  # noqa: E402

CALLS, EVERY_S, CALL_TIMEOUT_S, BUDGET_S = 40, 0.05, 30.0, 90.0
TLS_REQUESTS, WRK_SECONDS, CONNECTIONS = 2000, 8, 8
NGINX = "nginx in front (TLS there, the edge in ingress mode behind it)"


def export_edge(rev: str, into: Path) -> Path:
    """The soap_edge package of rev, exported under into; the directory to put on PYTHONPATH."""
    archive = subprocess.run(["git", "archive", rev, "services/soap-edge"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "services" / "soap-edge"


def summary(seconds: list[float], errors: int = 0) -> dict:
    """p50, p99 and max in milliseconds, with the number of calls and of failed ones."""
    ordered = sorted(seconds)
    p99 = ordered[max(0, int(round(0.99 * len(ordered))) - 1)]
    return {"calls": len(ordered), "errors": errors, "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(p99 * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def normal_client(stack: BenchStack, url: str) -> dict:
    """CALLS `version` calls, each on a new TLS connection with the client certificate; a failure counts its time."""
    content_type, body = requests_.version()
    errors = [0]

    def call():
        try:
            requests_.post(url, content_type, body, tls=stack.client.ssl_context, timeout=CALL_TIMEOUT_S)
        except (OSError, RuntimeError):
            errors[0] += 1

    return summary(latencies(call, CALLS, EVERY_S, BUDGET_S), errors[0])


def under_attack(stack: BenchStack, url: str, attack: Attack) -> dict:
    """The normal client while the attack holds its connections."""
    with SlowClients(attack) as slow:
        result = normal_client(stack, url)
        result["attack_held_open"] = slow.stop()
        result["trickling_connected"] = slow.trickling
    return result


def idle_tcp(stack: BenchStack, url: str, port: int, count: int) -> dict:
    """The normal client next to count idle TCP connections (no TLS handshake)."""
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    try:
        return normal_client(stack, url)
    finally:
        for sock in idle:
            sock.close()


@dataclass
class Variant:
    """One way of serving the edge's port: its TLS URL, its ingress-mode URL (wrk), its server processes."""

    tls_url: str
    ingress_url: str | None = None
    processes: list = field(default_factory=list)

    def cpu_s(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes)


def measured(variant: Variant, load) -> dict:
    """A load's result with the CPU time the variant's servers spent per request (ms): robust to a busy machine."""
    before = variant.cpu_s()
    result = load().as_dict()
    result["server_cpu_ms_per_request"] = round((variant.cpu_s() - before) * 1000 / max(result["requests"], 1), 3)
    return result


def throughput(stack: BenchStack, variant: Variant, estado: tuple) -> dict:
    """version and consultarEstadoFactura: Python client over TLS, then wrk in ingress mode (when there is one)."""
    tls, headers = stack.client.ssl_context, stack.client.ingress_headers
    url, result = variant.tls_url, {}
    result["version, TLS (Python client)"] = measured(variant, lambda: python_load(
        url, [requests_.version()] * TLS_REQUESTS, CONNECTIONS, tls=tls))
    result["consultarEstadoFactura, TLS (Python client)"] = measured(variant, lambda: python_load(
        url, [estado] * TLS_REQUESTS, CONNECTIONS, tls=tls))
    if variant.ingress_url is not None:
        plain = variant.ingress_url
        result["version, ingress (wrk)"] = measured(variant, lambda: wrk(
            plain, *requests_.version(), WRK_SECONDS, CONNECTIONS, headers=headers))
        result["consultarEstadoFactura, ingress (wrk)"] = measured(variant, lambda: wrk(
            plain, *estado, WRK_SECONDS, CONNECTIONS, headers=headers))
    return result


def start_variants(stack: BenchStack, before_rev: str, exported: Path, edges: ExitStack) -> dict[str, Variant]:
    """The before and after edges (TLS and ingress mode each), and nginx in front of the after one if installed."""
    variants = {}
    for name, env in (("before", {"PYTHONPATH": str(export_edge(before_rev, exported))}), ("after", {})):
        started: list = []
        tls_url = edges.enter_context(extra_server(stack, "soap_edge", ingress=False, env=env, started=started))
        ingress_url = edges.enter_context(extra_server(stack, "soap_edge", env=env, started=started))
        variants[name] = Variant(tls_url, ingress_url, started)
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        settings, started = stack.settings, [variants["after"].processes[1]]
        url = edges.enter_context(nginx_front(variants["after"].ingress_url, settings.soap_tls_cert,
                                              settings.soap_tls_key, settings.soap_client_ca, started))
        variants[NGINX] = Variant(url, None, started)
    return variants


def main(argv: list[str]) -> int:
    """Start the edges, alternate throughput rounds, then the slow-client scenarios per edge."""
    base = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True).stdout
    before_rev = argv[argv.index("--before") + 1] if "--before" in argv else base.strip()
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    results = {"machine": machine(), "before": before_rev[:12], "after": head.strip(),
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with tempfile.TemporaryDirectory() as exported, running_stack() as stack, ExitStack() as edges:
        variants = start_variants(stack, before_rev, Path(exported), edges)
        estado = requests_.estado(requests_.register_one(stack.soap_url, stack.client.ssl_context))
        runs = {name: [] for name in variants}
        for _ in range(rounds):
            for name, variant in variants.items():
                runs[name].append(throughput(stack, variant, estado))
        results["throughput"] = {name: _medians(rounds_) for name, rounds_ in runs.items()}
        full = {"idle": 200, "stalled": 50, "trickling": 50}
        for name, variant in variants.items():
            url, port = variant.tls_url, urlsplit(variant.tls_url).port
            attack = Attack(port, stack.client.requests_cert, str(stack.client.ca), connect_timeout_s=5.0, **full)
            results[f"slow clients, {name}"] = {
                "alone": normal_client(stack, url),
                "20 idle TCP connections": idle_tcp(stack, url, port, 20),
                "200 idle + 50 stalled handshakes + 50 trickling heads": under_attack(stack, url, attack),
            }
    results["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(results, indent=2))
    return 0


def _medians(rounds: list[dict]) -> dict:
    """Per measurement: medians over the rounds (requests/s, p50, p99, server CPU per request), each round's rps."""
    keys = ("rps", "p50_ms", "p99_ms", "server_cpu_ms_per_request")
    return {name: {**{k: statistics.median(r[name][k] for r in rounds) for k in keys},
                   "errors": sum(r[name]["errors"] for r in rounds),
                   "rounds_rps": [r[name]["rps"] for r in rounds]} for name in rounds[0]}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

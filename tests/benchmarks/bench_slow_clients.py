"""The edge before and after handshakes and heads moved to the event loop, in one run:
`python tests/benchmarks/bench_slow_clients.py [--before REV] [--rounds N]` (also run by `make bench`). Prints JSON.

One private stack (`ventanilla up`); next to its edge, two more edges over the stack's TLS (client certificates
required) and two in ingress mode, all on the stack's backends with 2 workers x 8 threads: "before" runs the
`soap_edge` package of REV (default: the merge base with main, i.e. the edge as it was), exported with
`git archive` and put first on PYTHONPATH; "after" runs this checkout's. Within each round every load runs on
each variant in turn; medians over the rounds, with the servers' CPU time per request (user + system of the
variant's processes), the figure that a busy machine disturbs least.

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
from tests.benchmarks.edge_slow import idle_tcp, normal_client, under_attack  # noqa: E402
from tests.support.slow_clients import Attack  # noqa: E402

TLS_REQUESTS, WRK_SECONDS, CONNECTIONS = 2000, 8, 8
NGINX = "nginx in front (TLS there, the edge in ingress mode behind it)"


def export_edge(rev: str, into: Path) -> Path:
    """The soap_edge package of rev, exported under into; the directory to put on PYTHONPATH."""
    archive = subprocess.run(["git", "archive", rev, "services/soap-edge"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "services" / "soap-edge"


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


def loads(stack: BenchStack, estado: tuple) -> dict:
    """Each measured load by name: a function of a variant, and whether it needs the variant's ingress URL."""
    tls, headers = stack.client.ssl_context, stack.client.ingress_headers

    def over_tls(request):
        return lambda v: python_load(v.tls_url, [request] * TLS_REQUESTS, CONNECTIONS, tls=tls)

    def over_wrk(request):
        return lambda v: wrk(v.ingress_url, *request, WRK_SECONDS, CONNECTIONS, headers=headers)

    return {"version, TLS (Python client)": (over_tls(requests_.version()), False),
            "consultarEstadoFactura, TLS (Python client)": (over_tls(estado), False),
            "version, ingress (wrk)": (over_wrk(requests_.version()), True),
            "consultarEstadoFactura, ingress (wrk)": (over_wrk(estado), True)}


def throughput(stack: BenchStack, variants: dict[str, Variant], estado: tuple, rounds: int) -> dict:
    """Every load on every variant, alternating the variants within each load, round after round."""
    runs: dict = {name: {} for name in variants}
    for _ in range(rounds):
        for load_name, (load, needs_ingress) in loads(stack, estado).items():
            for name, variant in variants.items():
                if needs_ingress and variant.ingress_url is None:
                    continue
                runs[name].setdefault(load_name, []).append(measured(variant, lambda: load(variant)))
    return {name: _medians(per_load) for name, per_load in runs.items()}


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
        url = edges.enter_context(nginx_front(variants["after"].ingress_url, settings.edge.tls_cert,
                                              settings.edge.tls_key, settings.edge.client_ca, started))
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
        results["throughput"] = throughput(stack, variants, estado, rounds)
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


def _medians(per_load: dict[str, list[dict]]) -> dict:
    """Per load: medians over the rounds (requests/s, p50, p99, server CPU per request), each round's rps."""
    keys = ("rps", "p50_ms", "p99_ms", "server_cpu_ms_per_request")
    return {name: {**{k: statistics.median(r[k] for r in rounds) for k in keys},
                   "errors": sum(r["errors"] for r in rounds), "rounds_rps": [r["rps"] for r in rounds],
                   "rounds_cpu_ms": [r["server_cpu_ms_per_request"] for r in rounds]}
            for name, rounds in per_load.items()}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

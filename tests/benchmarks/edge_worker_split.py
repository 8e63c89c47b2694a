"""How the edge's two gunicorn workers split the goal rows' connections, and whether a lopsided split costs:
`python tests/benchmarks/edge_worker_split.py [--rounds N] [--loads estado,paced] [--edge-env VAR=VALUE]...
[--before REV] [--before-env VAR=VALUE]...`.

One private stack and one extra edge in ingress mode (and, with --before, an edge of that commit beside it; with
--edge-env, this edge's own settings). Per round and edge: bench_reads' estado load (wrk -t1 -c8, 5 s,
consultarEstadoFactura) and its paced load (consultarFactura at 500/s for 10 s over paced.py's 32 connections),
the edges interleaved, the order alternating. Each run records, per worker, the connections it held to the edge's
port mid-run (psutil) and its CPU seconds (/proc), beside the run's req/s or p99. Writes var/bench/worker_split.json.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from tests.benchmarks import requests_  # noqa: E402
from tests.benchmarks.bench_soap_edge import machine, publish  # noqa: E402
from tests.benchmarks.benchstack import env_settings, export_tree, extra_server, running_stack  # noqa: E402
from tests.benchmarks.loadgen import wrk  # noqa: E402
from tests.benchmarks.paced import paced_load  # noqa: E402
from tests.benchmarks.reads import _service_pid  # noqa: E402
from tests.e2e import soap  # noqa: E402

OUT = ROOT / "var" / "bench" / "worker_split.json"
ESTADO_S, ESTADO_CONNECTIONS, RATE, PACED_S = 5, 8, 500, 10


def workers(arbiter: int) -> list[int]:
    """The gunicorn workers (children) of an edge's arbiter, in pid order."""
    return sorted(child.pid for child in psutil.Process(arbiter).children())


def held(pids: list[int], port: int) -> list[int]:
    """Established connections to `port` each process holds now."""
    counts = []
    for pid in pids:
        connections = psutil.Process(pid).net_connections(kind="tcp")
        counts.append(sum(1 for c in connections if c.laddr and c.laddr.port == port
                          and c.status == psutil.CONN_ESTABLISHED))
    return counts


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def observed(url: str, arbiter: int, status: int | None, load, seconds: float) -> dict:
    """Run load() while sampling each worker's connections at 1/4, 1/2 and 3/4 of `seconds`; per worker its CPU."""
    pids, port = workers(arbiter), urlsplit(url).port
    samples: list[list[int]] = []

    def sample() -> None:
        for fraction in (0.25, 0.5, 0.75):
            time.sleep(max(0.0, started + fraction * seconds - time.perf_counter()))
            samples.append(held(pids, port))

    cpu, status_cpu, started = [cpu_s(p) for p in pids], cpu_s(status) if status else 0.0, time.perf_counter()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = load()
    sampler.join()
    worker_cpu = [round(cpu_s(p) - c, 2) for p, c in zip(pids, cpu)]
    connections = samples[1]
    return {**result, "connections": connections, "connection_samples": samples,
            "larger_share_connections": round(max(connections) / max(1, sum(connections)), 3),
            "worker_cpu_s": worker_cpu, "larger_share_cpu": round(max(worker_cpu) / max(0.01, sum(worker_cpu)), 3),
            "status_cpu_s": round(cpu_s(status) - status_cpu, 2) if status else None,
            "loadavg": round(os.getloadavg()[0], 1)}


def _flag_values(argv: list[str], flag: str) -> list[str]:
    return [argv[n + 1] for n, arg in enumerate(argv) if arg == flag]


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    rounds = int(_flag_values(argv, "--rounds")[0]) if "--rounds" in argv else 6
    rev = (_flag_values(argv, "--before") or [None])[0]
    loads = (_flag_values(argv, "--loads") or ["estado,paced"])[0].split(",")
    results = {"machine": machine(), "command": "python tests/benchmarks/edge_worker_split.py " + " ".join(argv),
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with running_stack() as stack, tempfile.TemporaryDirectory(prefix="bench-split-") as tmp, ExitStack() as edges:
        started: list = []
        targets = {"edge": edges.enter_context(extra_server(stack, "soap_edge", started=started,
                                                            env=env_settings(_flag_values(argv, "--edge-env"))))}
        if rev:
            tree = export_tree(rev, Path(tmp) / "before")
            targets["edge (before)"] = edges.enter_context(extra_server(
                stack, "soap_edge", cwd=tree, started=started,
                env={"PYTHONPATH": f"{tree / 'services' / 'soap-edge'}:{tree}",
                     **env_settings(_flag_values(argv, "--before-env"))}))
        arbiters = dict(zip(targets.values(), (p.pid for p in started)))
        status, headers = _service_pid(stack, "status_service"), stack.client.ingress_headers
        invoice_id = requests_.register_one(stack.soap_url, stack.client.ssl_context)
        estado = requests_.estado(invoice_id)
        factura = (requests_.XML, soap.envelope("consultarFactura", f"<idFactura>{invoice_id}</idFactura>"))
        for url in targets.values():
            wrk(url, *estado, seconds=2, connections=ESTADO_CONNECTIONS, headers=headers)
        runs: dict = {name: {"estado": [], "paced": []} for name in targets}
        for round_ in range(rounds):
            order = list(targets.items()) if round_ % 2 == 0 else list(targets.items())[::-1]
            for name, url in order if "estado" in loads else ():
                def estado_load(url=url):
                    return wrk(url, *estado, ESTADO_S, ESTADO_CONNECTIONS, headers=headers).as_dict()
                runs[name]["estado"].append(observed(url, arbiters[url], status, estado_load, ESTADO_S))
                print(name, "estado", json.dumps(runs[name]["estado"][-1]), file=sys.stderr, flush=True)
            for name, url in order if "paced" in loads else ():
                def paced(url=url):
                    return paced_load(url, factura, RATE, PACED_S, headers=headers)
                runs[name]["paced"].append(observed(url, arbiters[url], status, paced, PACED_S))
                print(name, "paced", json.dumps(runs[name]["paced"][-1]), file=sys.stderr, flush=True)
            results["runs"] = runs
            OUT.parent.mkdir(parents=True, exist_ok=True)
            OUT.write_text(json.dumps(results, indent=2) + "\n")
    results["summary"] = {name: summary(each, loads) for name, each in runs.items()}
    publish(results, OUT)
    return 0


def summary(each: dict, loads: list[str]) -> dict:
    """Per load: the larger worker's connection and CPU shares, each run's req/s (estado) or p99 (paced)."""
    found = {}
    for load, key in (("estado", "rps"), ("paced", "p99_ms")):
        if load not in loads:
            continue
        runs = each[load]
        shares = [r["larger_share_connections"] for r in runs]
        found[load] = {"larger_share_connections": shares, key: [r[key] for r in runs],
                       "larger_share_cpu": [r["larger_share_cpu"] for r in runs],
                       f"median {key}": statistics.median(r[key] for r in runs)}
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""consultarEstadoFactura through the edge vs a trivial Flask endpoint under the same gunicorn configuration."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Iterator

from soap_edge import server

from . import requests_
from .benchstack import ROOT, BenchStack, free_ports
from .loadgen import LoadResult, wrk

ROUNDS, SECONDS, CONNECTIONS = 3, 10, 8


@contextmanager
def trivial_flask(stack: BenchStack) -> Iterator[str]:
    """tests/benchmarks/flask_app.py served by EdgeServer (same workers, class, threads) on a free port."""
    (port,) = free_ports(1)
    env = {**stack.env, "VENTANILLA_SOAP_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.flask_app"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}{stack.settings.soap_path}"
    try:
        for _ in range(100):
            try:
                requests_.post(url, *requests_.version())
                break
            except (OSError, RuntimeError):
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _median(results: list[LoadResult]) -> dict:
    keys = ("rps", "p50_ms", "p99_ms")
    summary = {k: round(statistics.median(getattr(r, k) for r in results), 2) for k in keys}
    summary["rounds"] = [r.as_dict() for r in results]
    summary["errors"] = sum(r.errors for r in results)
    return summary


def run(stack: BenchStack) -> dict:
    """ROUNDS x SECONDS of wrk -t1 -c8 on each target, interleaved; medians and the edge/Flask ratio."""
    invoice_id = requests_.register_one(stack.soap_url)
    estado, version = requests_.estado(invoice_id), requests_.version()
    results = {"edge consultarEstadoFactura": [], "edge version (no backend)": [], "trivial Flask": []}
    with trivial_flask(stack) as flask_url:
        for url, request in ((stack.soap_url, estado), (flask_url, estado)):
            wrk(url, *request, seconds=2, connections=CONNECTIONS)  # warm-up
        for _ in range(ROUNDS):
            results["edge consultarEstadoFactura"].append(wrk(stack.soap_url, *estado, SECONDS, CONNECTIONS))
            results["edge version (no backend)"].append(wrk(stack.soap_url, *version, SECONDS, CONNECTIONS))
            results["trivial Flask"].append(wrk(flask_url, *estado, SECONDS, CONNECTIONS))
    summary = {name: _median(rounds) for name, rounds in results.items()}
    flask = summary["trivial Flask"]["rps"]
    for name in ("edge consultarEstadoFactura", "edge version (no backend)"):
        summary[name]["ratio_to_flask"] = round(summary[name]["rps"] / flask, 3)
    summary["server"] = {"workers": stack.settings.soap_workers, "worker_class": server.WORKER_CLASS,
                         "threads": server.THREADS, "load": f"wrk -t1 -c{CONNECTIONS} -d{SECONDS}s x {ROUNDS} rounds"}
    return summary

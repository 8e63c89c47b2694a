"""Which gunicorn worker configuration for the edge: the same loads against edges differing only in it."""
from __future__ import annotations

import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Iterator

from . import requests_
from .benchstack import ROOT, BenchStack, free_ports
from .loadgen import python_load, wrk

# (worker class, threads) with VENTANILLA_SOAP_WORKERS workers each.
VARIANTS = (("sync", 1), ("gthread", 4), ("gthread", 8), ("gthread", 16))
SECONDS, CONNECTIONS, ENVIAR = 8, 8, 200


@contextmanager
def edge(stack: BenchStack, worker_class: str, threads: int) -> Iterator[str]:
    """A second edge on a free port, talking to the stack's backends."""
    (port,) = free_ports(1)
    env = {**stack.env, "VENTANILLA_SOAP_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.edge_variant", worker_class, str(threads)],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}{stack.settings.soap_path}"
    try:
        for _ in range(150):
            try:
                requests_.post(url, *requests_.version())
                break
            except (OSError, RuntimeError):
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def run(stack: BenchStack) -> dict:
    """Per variant: wrk on consultarEstadoFactura, then ENVIAR distinct 100 KB MTOM enviarFactura over 8 connections."""
    estado = requests_.estado(requests_.register_one(stack.soap_url))
    summary = {}
    for worker_class, threads in VARIANTS:
        with edge(stack, worker_class, threads) as url:
            wrk(url, *estado, seconds=2, connections=CONNECTIONS)
            consultar = wrk(url, *estado, seconds=SECONDS, connections=CONNECTIONS)
            bodies = [requests_.enviar_mtom(100 * 1024) for _ in range(ENVIAR)]
            enviar = python_load(url, bodies, concurrency=CONNECTIONS)
        summary[f"{stack.settings.soap_workers} x {worker_class} x {threads}"] = {
            "consultarEstadoFactura": consultar.as_dict(), "enviarFactura 100 KB": enviar.as_dict()}
    return summary

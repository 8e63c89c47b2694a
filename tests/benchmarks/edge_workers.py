"""Which gunicorn worker configuration for the edge: the same loads against edges differing only in it."""
from __future__ import annotations

from . import requests_
from .benchstack import BenchStack, extra_server
from .loadgen import python_load, wrk

# (worker class, threads) with VENTANILLA_SOAP_WORKERS workers each.
VARIANTS = (("sync", 1), ("gthread", 4), ("gthread", 8), ("gthread", 16))
SECONDS, CONNECTIONS, ENVIAR = 8, 8, 200


def run(stack: BenchStack) -> dict:
    """Per variant (a second edge in ingress mode, talking to the stack's backends): wrk on consultarEstadoFactura,
    then ENVIAR distinct 100 KB MTOM enviarFactura over 8 connections; both with the ingress's certificate headers."""
    estado = requests_.estado(requests_.register_one(stack.soap_url, stack.client.ssl_context))
    headers = stack.client.ingress_headers
    summary = {}
    for worker_class, threads in VARIANTS:
        with extra_server(stack, "tests.benchmarks.edge_variant", worker_class, str(threads)) as url:
            wrk(url, *estado, seconds=2, connections=CONNECTIONS, headers=headers)
            consultar = wrk(url, *estado, seconds=SECONDS, connections=CONNECTIONS, headers=headers)
            bodies = [requests_.enviar_mtom(100 * 1024) for _ in range(ENVIAR)]
            enviar = python_load(url, bodies, concurrency=CONNECTIONS, headers=headers)
        summary[f"{stack.settings.edge.workers} x {worker_class} x {threads}"] = {
            "consultarEstadoFactura": consultar.as_dict(), "enviarFactura 100 KB": enviar.as_dict()}
    return summary

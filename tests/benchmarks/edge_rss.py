"""The edge's peak RSS for one 8 MB MTOM request at a time (the body size limit)."""
from __future__ import annotations

from . import requests_
from .benchstack import BenchStack
from .loadgen import python_load
from .processes import PeakRss, gunicorn_workers

COUNT = 6


def run(stack: BenchStack) -> dict:
    """COUNT sequential enviarFactura of a Facturae just under the limit, over MTOM."""
    workers = gunicorn_workers("soap_edge", stack.settings.edge.port)
    size = stack.settings.edge.max_body_bytes - 64 * 1024
    tls = stack.client.ssl_context
    python_load(stack.soap_url, [requests_.enviar_mtom(1024)], concurrency=1, tls=tls)  # warm-up: imports, channels
    bodies = [requests_.enviar_mtom(size) for _ in range(COUNT)]
    with PeakRss(workers) as peak:
        result = python_load(stack.soap_url, bodies, concurrency=1, tls=tls)
    return {**peak.result, "body_bytes": len(bodies[0][1]), **result.as_dict(),
            "load": f"{COUNT} sequential requests (TLS)"}

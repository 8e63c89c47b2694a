"""enviarFactura over MTOM, 100 KB and 5 MB Facturae: requests/s, latency, and the edge workers' peak RSS."""
from __future__ import annotations

from . import requests_
from .benchstack import BenchStack
from .loadgen import python_load
from .processes import PeakRss, gunicorn_workers

# (label, Facturae size, requests, concurrent connections): bounded in count; each body is a new invoice.
CASES = (("100 KB", 100 * 1024, 400, 4), ("5 MB", 5 * 1024 * 1024, 40, 2))


def run(stack: BenchStack) -> dict:
    """Each case: warm up, then send the pre-built bodies over TLS (the seller's client certificate, keep-alive)
    and measure the edge workers' peak RSS meanwhile."""
    workers = gunicorn_workers("soap_edge", stack.settings.edge.port)
    tls = stack.client.ssl_context
    summary = {"edge_workers": len(workers)}
    for label, size, count, concurrency in CASES:
        python_load(stack.soap_url, [requests_.enviar_mtom(size) for _ in range(2)], concurrency=1, tls=tls)
        bodies = [requests_.enviar_mtom(size) for _ in range(count)]
        with PeakRss(workers) as peak:
            result = python_load(stack.soap_url, bodies, concurrency=concurrency, tls=tls)
        summary[label] = {**result.as_dict(), **peak.result, "body_bytes": len(bodies[0][1]),
                          "load": f"{count} requests, {concurrency} connections (Python client, TLS)"}
    return summary

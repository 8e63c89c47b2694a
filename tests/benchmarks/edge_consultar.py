"""consultarEstadoFactura through the edge vs a trivial Flask endpoint under the same gunicorn configuration.

wrk cannot present a client certificate, so the wrk comparison runs both servers in the edge's documented ingress
mode (plain HTTP behind a TLS-terminating nginx ingress, trusted proxy 127.0.0.1) and wrk sends the ingress's
ssl-client-cert / ssl-client-verify headers, as in Kubernetes. The TLS cost is measured apart: the same Python
keep-alive client against the stack's own HTTPS edge (client certificate) and against the ingress-mode edge.
"""
from __future__ import annotations

import statistics

from . import requests_
from .benchstack import BenchStack, extra_server
from .loadgen import LoadResult, python_load, wrk

ROUNDS, SECONDS, CONNECTIONS = 3, 10, 8
PYTHON_REQUESTS = 2000  # per Python-client run (TLS vs ingress), over CONNECTIONS keep-alive connections


def _median(results: list[LoadResult]) -> dict:
    keys = ("rps", "p50_ms", "p99_ms")
    summary = {k: round(statistics.median(getattr(r, k) for r in results), 2) for k in keys}
    summary["rounds"] = [r.as_dict() for r in results]
    summary["errors"] = sum(r.errors for r in results)
    return summary


def run(stack: BenchStack) -> dict:
    """ROUNDS x SECONDS of wrk -t1 -c8 on each ingress-mode target, interleaved; medians and the edge/Flask ratio.
    Then one Python-client run each over real TLS (stack edge, Flask) and over ingress mode (edge)."""
    tls, headers = stack.client.ssl_context, stack.client.ingress_headers
    invoice_id = requests_.register_one(stack.soap_url, tls)
    estado, version = requests_.estado(invoice_id), requests_.version()
    results = {"edge consultarEstadoFactura": [], "edge version (no backend)": [], "trivial Flask": []}
    with extra_server(stack, "soap_edge") as edge_url, extra_server(stack, "tests.benchmarks.flask_app") as flask_url:
        for url in (edge_url, flask_url):
            wrk(url, *estado, seconds=2, connections=CONNECTIONS, headers=headers)  # warm-up
        for _ in range(ROUNDS):
            results["edge consultarEstadoFactura"].append(wrk(edge_url, *estado, SECONDS, CONNECTIONS, headers=headers))
            results["edge version (no backend)"].append(wrk(edge_url, *version, SECONDS, CONNECTIONS, headers=headers))
            results["trivial Flask"].append(wrk(flask_url, *estado, SECONDS, CONNECTIONS, headers=headers))
        summary = {name: _median(rounds) for name, rounds in results.items()}
        flask = summary["trivial Flask"]["rps"]
        for name in ("edge consultarEstadoFactura", "edge version (no backend)"):
            summary[name]["ratio_to_flask"] = round(summary[name]["rps"] / flask, 3)
        python_client = {"edge, ingress mode (plain HTTP + headers)":
                         python_load(edge_url, [estado] * PYTHON_REQUESTS, CONNECTIONS, headers=headers)}
    with extra_server(stack, "tests.benchmarks.flask_app", ingress=False) as flask_tls:
        python_client["edge, real TLS (client certificate)"] = python_load(
            stack.soap_url, [estado] * PYTHON_REQUESTS, CONNECTIONS, tls=tls)
        python_client["trivial Flask, real TLS (client certificate)"] = python_load(
            flask_tls, [estado] * PYTHON_REQUESTS, CONNECTIONS, tls=tls)
    summary["python client consultarEstadoFactura"] = {name: r.as_dict() for name, r in python_client.items()}
    summary["python client consultarEstadoFactura"]["load"] = (
        f"{PYTHON_REQUESTS} requests over {CONNECTIONS} keep-alive connections (threaded http.client)")
    summary["server"] = {"workers": stack.settings.edge.workers, "worker_class": "soap_edge.http.worker.EdgeWorker (gthread)",
                         "threads": stack.settings.edge.threads,
                         "load": f"wrk -t1 -c{CONNECTIONS} -d{SECONDS}s x {ROUNDS} rounds, ingress mode "
                                 f"(VENTANILLA_SOAP_PLAIN_HTTP=1, VENTANILLA_TRUSTED_PROXIES=127.0.0.1/32, "
                                 f"ssl-client-cert + ssl-client-verify headers)"}
    return summary

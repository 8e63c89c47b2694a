"""Where the edge spends a request's time: cProfile of the edge's WSGI app in-process, against the stack's backends."""
from __future__ import annotations

import cProfile
import io
import pstats
import time

from soap_edge.__main__ import build
from ventanilla.config import Settings

from . import requests_
from .benchstack import INGRESS, BenchStack

# Component -> (file suffix, function name) whose cumulative time it is; "other" is the rest of the request.
COMPONENTS = {
    "read body (HTTP front)": ("soap_edge/http/body.py", "read_body"),
    "parse: MTOM split + lxml": ("soap_edge/soap/mtom.py", "parse_envelope"),
    "schema validation (lxml)": ("spyne/protocol/xml.py", "__validate_lxml"),
    "deserialize (spyne objects)": ("spyne/protocol/soap/soap11.py", "deserialize"),
    "gRPC call incl. backend work": ("soap_edge/backends/clients.py", "_call"),
    "serialize answer (spyne)": ("soap_edge/soap/protocol.py", "serialize"),
    "answer to bytes (lxml)": ("spyne/protocol/xml.py", "create_out_string"),
    "MTOM answer (to_mtom)": ("soap_edge/soap/mtom.py", "to_mtom"),
}
CASES = (("consultarEstadoFactura", 300), ("enviarFactura 100 KB MTOM", 150))


def _environ(url_path: str, content_type: str, body: bytes, headers: dict[str, str]) -> dict:
    """A WSGI request as gunicorn passes it in ingress mode: from the trusted proxy, with its certificate headers."""
    return {"REQUEST_METHOD": "POST", "PATH_INFO": url_path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": content_type, "REMOTE_ADDR": "127.0.0.1",
            **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}}


def _share(stats: pstats.Stats, total: float) -> dict[str, float]:
    found = {}
    for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items():
        for component, (suffix, name) in COMPONENTS.items():
            if filename.endswith(suffix) and function.endswith(name):
                found[component] = found.get(component, 0.0) + cumulative
    shares = {k: round(100 * v / total, 1) for k, v in found.items()}
    shares["other (WSGI, spyne dispatch, logging)"] = round(100 - sum(shares.values()), 1)
    return shares


def run(stack: BenchStack) -> dict:
    """Each case sequentially under cProfile; the share of the request time per component (percent).

    The edge app runs in-process (no HTTP server, so no TLS): the caller's certificate arrives as the ingress's
    headers from a trusted proxy, as in ingress mode."""
    edge = build(Settings.from_env({**stack.env, **INGRESS}))
    headers = stack.client.ingress_headers
    invoice_id = requests_.register_one(stack.soap_url, stack.client.ssl_context)
    bodies = {"consultarEstadoFactura": lambda: requests_.estado(invoice_id),
              "enviarFactura 100 KB MTOM": lambda: requests_.enviar_mtom(100 * 1024)}
    summary = {}
    for label, count in CASES:
        prepared = [bodies[label]() for _ in range(count)]
        profile, statuses = cProfile.Profile(), set()
        started = time.perf_counter()
        profile.enable()
        for content_type, body in prepared:
            chunks = edge(_environ(stack.settings.edge.path, content_type, body, headers),
                          lambda status, headers, *_: statuses.add(status[:3]))
            b"".join(chunks)
        profile.disable()
        elapsed = time.perf_counter() - started
        assert statuses == {"200"}, statuses
        stats = pstats.Stats(profile)
        total = sum(cumulative for (f, _, fn), (_, _, _, cumulative, _) in stats.stats.items()
                    if f.endswith("soap_edge/http/front.py") and fn == "__call__")
        summary[label] = {"requests": count, "ms_per_request_profiled": round(1000 * elapsed / count, 2),
                          "percent_of_request": _share(stats, total)}
    return summary

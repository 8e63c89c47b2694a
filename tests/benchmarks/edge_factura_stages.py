"""consultarFactura's edge side in one process, part by part, against the floor edge's work for the same request:
`python tests/benchmarks/edge_factura_stages.py [--before DIR] [--rounds R] [--runs N] [--callgrind]`.

The status service's gRPC side as get_invoice_stages.py wires it (mutual TLS, its interceptors, one invoice with a
31.5 KB receipt), and in the same process, each a loop of N calls after a warm-up:
`floor app` (floor_edge.py's WSGI app: the body read, one GetInvoice naming the held receipt with a plain generated
stub over the services' mutual TLS, precomputed answer bytes), `edge app` (the edge's own WSGI app as
soap_edge.__main__.build wires it, ingress mode, the caller's certificate in the ingress's headers, open access,
metrics kept, tracing off, the access log at WARNING as the bench stack runs it; every call after the first a
held-receipt hit), `edge app, access log at INFO` (the same, the `soap_edge.access` line built and formatted as
JSON into a null stream), `edge app, version` (no backend call),
and the edge's parts alone: `bare call` (the floor's call alone), `status client` (StatusClient.invoice over the
edge's channel: its interceptor and held receipts; and with the request id bound, as in a request), `parse` (mtom.parse_envelope), `caller` (identify, the
ingress's certificate from the memo), `access` (Operations' caller: the access check and read-your-writes),
`answer` (answers.factura + envelope from a held answer), `status client + answer`, `facts + id + metering` (arrived, the request id bound,
Metering.started/answered). Both sides' work of the calls is in the app and call figures (same server, same request
bytes but the request id). CPU ms per call (`time.process_time`, every thread) or, with --callgrind, instructions
per call (valgrind; each loop cut out by a dump at `getppid`; PYTHONHASHSEED=0). Each round one fresh process per
tree, the order alternating; medians per part."""
from __future__ import annotations

import gc
import io
import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: the sibling modules by their package

from tests.benchmarks.callgrind_loops import loop_instructions, stages_main, timed_loop  # noqa: E402

STAGES = ("floor app", "edge app", "edge app, access log at INFO", "edge app, version", "bare call",
          "status client", "status client, request id bound",
          "status client + answer", "parse", "caller", "access", "answer", "facts + id + metering")
WARM_UP = 200
INVOICE = 7


def _environ(path: str, body: bytes, headers: dict[str, str]) -> dict:
    """A WSGI request as gunicorn passes it in ingress mode (edge_profile.py's), its body a fresh stream."""
    from tests.benchmarks.edge_profile import _environ as environ
    from tests.benchmarks.requests_ import XML

    return environ(path, XML, body, headers)


def _child(product: Path, runs: int) -> dict[str, float]:
    """CPU ms per call of each stage, with `product`'s code first on the path; getppid() marks each timed loop."""
    from ventanilla.runtime import grpc_env

    os.environ.update(grpc_env(os.environ))  # as the stack's processes run (before grpc starts)
    sys.path[:0] = [str(product), str(product / "services" / "status"), str(product / "services" / "soap-edge"),
                    str(ROOT)]
    from ventanilla import devpki
    from ventanilla.adapters.service_tls import channel
    from ventanilla.api.v1 import services_pb2 as pb, services_pb2_grpc as rpc
    from ventanilla.config import Settings
    from ventanilla.observability import requestid

    from soap_edge import __main__ as edge_main
    from soap_edge.http import front
    from soap_edge.identity.caller import identify
    from soap_edge.identity.proxy import networks
    from soap_edge.soap import answers, mtom

    from tests.benchmarks import get_invoice_stages, requests_
    from tests.benchmarks.benchstack import INGRESS, SELLER, ClientCert
    from tests.support.service_pki import service_tls_env

    with tempfile.TemporaryDirectory(prefix="edge-factura-") as tmp:
        server, address, _api, nif = get_invoice_stages._serve(Path(tmp), SELLER)
        env = {"VENTANILLA_STATE_DIR": str(Path(tmp) / "state"), **service_tls_env(), **INGRESS,
               "VENTANILLA_STATUS_ADDRESS": address, "VENTANILLA_EDGE_ACCESS_MODE": "open",
               "VENTANILLA_LOG_LEVEL": "WARNING"}
        settings = Settings.from_env(env)
        devpki.init(settings)
        cert, key = devpki.client(settings, nif, Path(tmp) / "client")
        headers = ClientCert(cert, key, Path(tmp) / "client" / "ca.pem").ingress_headers
        logging.basicConfig(stream=io.StringIO(), level=logging.WARNING)
        app = edge_main.build(settings)
        body, version = requests_.factura(INVOICE)[1], requests_.version()[1]

        def call(wsgi, payload: bytes = body) -> bytes:
            statuses = []
            chunks = wsgi(_environ(settings.edge.path, payload, headers), lambda s, h, *_: statuses.append(s))
            out = b"".join(chunks)
            assert statuses[0].startswith("200"), out[:300]
            return out

        answer = call(app)
        stub = rpc.StatusServiceStub(channel(settings.service_tls, "soap-edge", "status", address))
        held = stub.GetInvoice(pb.InvoiceById(caller=pb.Caller(nif=nif), id=INVOICE), timeout=10)
        floor_request = pb.InvoiceById(caller=pb.Caller(nif=nif, request_id="0" * 32), id=INVOICE,
                                       held_receipt_sha256=held.invoice.receipt.sha256)
        floor_headers = [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(answer)))]

        def floor(environ, start_response):
            environ["wsgi.input"].read()
            stub.GetInvoice(floor_request, timeout=120)
            start_response("200 OK", floor_headers)
            return [answer]

        assert call(floor) == answer
        # the edge's parts, wired as build() wires them (reached through the app it built)
        operations = app._soap._direct._operations
        status_client = operations._status
        envelope = mtom.parse_envelope(requests_.XML, body)
        proxies, memo = networks(settings.edge.trusted_proxies), app._certificates
        environ = _environ(settings.edge.path, body, headers)
        facts = front.arrived(environ)
        from dataclasses import replace
        from soap_edge.facts import Transfer
        facts = replace(facts, transfer=Transfer.INLINE, body_bytes=len(body), operation="consultarFactura",
                        caller=identify(environ, proxies, facts.request_id, memo))
        got = operations.invoice(facts, INVOICE)
        who = operations._reader(facts)
        metering = app._metering

        def facts_id_metering():
            arrived = front.arrived(environ)
            with requestid.bound(arrived.request_id):
                metering.started()
            metering.answered(facts, None, len(answer), 0.002)

        def bound_call():
            with requestid.bound(facts.request_id):
                status_client.invoice(who, INVOICE)

        info_log = logging.getLogger("soap_edge.access")

        handler = logging.StreamHandler(open(os.devnull, "w"))
        from ventanilla.logs import JsonFormatter
        handler.setFormatter(JsonFormatter("soap-edge"))
        info_log.addHandler(handler)
        info_log.propagate = False
        steps = {
            "floor app": lambda: call(floor),
            "edge app": lambda: call(app),
            "edge app, access log at INFO": lambda: call(app),
            "edge app, version": lambda: call(app, version),
            "bare call": lambda: stub.GetInvoice(floor_request, timeout=120),
            "status client": lambda: status_client.invoice(who, INVOICE),
            "status client, request id bound": bound_call,
            "status client + answer": lambda: answers.envelope("consultarFactura", answers.factura(
                status_client.invoice(who, INVOICE), "return", None)),
            "parse": lambda: mtom.parse_envelope(requests_.XML, body),
            "caller": lambda: identify(environ, proxies, facts.request_id, memo),
            "access": lambda: operations._reader(facts),
            "answer": lambda: answers.envelope("consultarFactura", answers.factura(got, "return", None)),
            "facts + id + metering": facts_id_metering,
        }
        assert envelope.operation == "consultarFactura"
        gc.collect()
        gc.freeze()  # as runtime.settle leaves an edge worker (gc_freeze's default): later collections skip the wiring
        result = {}
        try:
            for name in STAGES:
                step = steps[name]
                info_log.setLevel(logging.INFO if name == "edge app, access log at INFO" else logging.NOTSET)
                result[name] = timed_loop(step, runs, WARM_UP)
        finally:
            server.stop(0)
    return result


def _callgrind(product: Path, runs: int, out: Path) -> dict[str, float]:
    """Instructions per call of each stage: one valgrind run, the loops' dumps divided by the runs."""
    return loop_instructions([__file__, "--child", str(product), "--runs", str(runs)], STAGES, runs, out)


def main() -> None:
    stages_main(__file__, __doc__, ROOT, STAGES, _child, _callgrind)


if __name__ == "__main__":
    main()

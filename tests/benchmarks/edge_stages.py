"""The edge with a timestamp at each stage of a request, for bench_tail.py (benchmark-only, never in the product):
`python -m tests.benchmarks.edge_stages` with BENCH_STAGES_DIR set. Per request, a JSON line in
BENCH_STAGES_DIR/edge-<pid>.jsonl: the client's sequence number (header X-Bench-Seq), the request id, and
time.perf_counter() (one clock for every process of the host) when the worker's loop saw the connection readable,
when a thread took it, when the WSGI app began, when the status call began and ended, when the app returned and when
the thread was done with the connection (answer written)."""
from __future__ import annotations

import json
import os
import threading
import time

from ventanilla.observability import requestid

from soap_edge import __main__ as edge
from soap_edge.backends.clients import StatusClient
from soap_edge.http.worker import EdgeWorker

_local = threading.local()


def _out():
    if getattr(_out, "pid", None) != os.getpid():
        _out.pid = os.getpid()
        _out.file = open(os.path.join(os.environ["BENCH_STAGES_DIR"], f"edge-{os.getpid()}.jsonl"), "a", buffering=1)
    return _out.file


def _instrument() -> None:
    enqueue, handle, invoice = EdgeWorker.enqueue_req, EdgeWorker.handle, StatusClient.invoice

    def enqueue_req(self, conn):
        conn.bench_readable = time.perf_counter()
        return enqueue(self, conn)

    def handled(self, conn):
        _local.stages = {"readable": getattr(conn, "bench_readable", None), "thread": time.perf_counter()}
        try:
            return handle(self, conn)
        finally:
            stages, _local.stages = _local.stages, None
            if stages and "app" in stages:
                stages["done"] = time.perf_counter()
                _out().write(json.dumps(stages) + "\n")

    def timed_invoice(self, caller, invoice_id):
        stages = getattr(_local, "stages", None) or {}
        stages["grpc"], stages["rid"] = time.perf_counter(), requestid.current()
        try:
            return invoice(self, caller, invoice_id)
        finally:
            stages["grpc_end"] = time.perf_counter()

    EdgeWorker.enqueue_req, EdgeWorker.handle, StatusClient.invoice = enqueue_req, handled, timed_invoice
    build = edge.build

    def timed_build(settings, **kwargs):
        app = build(settings, **kwargs)

        def timed_app(environ, start_response):
            stages = getattr(_local, "stages", None)
            if stages is not None:
                stages["app"], stages["seq"] = time.perf_counter(), environ.get("HTTP_X_BENCH_SEQ")
            try:
                return app(environ, start_response)
            finally:
                if stages is not None:
                    stages["app_end"] = time.perf_counter()

        return timed_app

    edge.build = timed_build


if __name__ == "__main__":
    _instrument()
    edge.main()

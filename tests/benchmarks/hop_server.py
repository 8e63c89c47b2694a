"""A GetStates server for bench_hop.py: `python -m tests.benchmarks.hop_server VARIANT PORT TLS_DIR TLS_CA`.

VARIANT: `bare` (grpcio alone, the same proto, an answer built once), `bare-tls` (the same with mutual TLS), `floor`
(bare-tls answering BENCH_FLOOR_METHOD with the message serialized in BENCH_FLOOR_ANSWER: the real status service's
answer, for bench_reads.py's floor edge; with BENCH_FLOOR_MISS_ANSWER, GetInvoice's answer to a request naming no
held receipt), `status`
(the status service's gRPC side as its build() wires it: GrpcServer, the callers' check, metrics and request id,
the ready gate, StatusApi over the query use cases and a SQLite projection holding one invoice), and `status-` with
the parts left out, dash-separated (`check`, `metrics`, `gate`, `api`: the bare answer instead of the query), for the
breakdown; `status-aio` and `status-generic` (also `status-aio-api`): the same layers on a grpc.aio server or on one
generic handler of the synchronous server (hop_alternatives.py). Prints "ready", serves until its stdin closes, then prints (JSON) the thread CPU per call, in µs, of the
query handler and of its projection lookup, timed inside the server (`status` variants with the query)."""
from __future__ import annotations

import json
import os
from dataclasses import replace
import sys
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path
from types import SimpleNamespace

import grpc

from ventanilla.adapters.invoice_messages import state_to_pb
from ventanilla.adapters.service_tls import server_credentials
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc as rpc
from ventanilla.config import ServiceTls
from ventanilla.domain.invoice import State
from tests.benchmarks.floor_edge import status_message

INVOICE_ID = 7
EDGE_CALLER, EDGE_CALLER_INVOICE = "B12345674", 8


class _Bare(rpc.StatusServiceServicer):
    """GetStates answering the status service's answer for one registered invoice, built once."""

    answer = pb.StatesAnswer(items=[pb.StateItem(state=state_to_pb(State.REGISTRADA), remarks="")])

    def GetStates(self, request, context):
        return self.answer


def _floor(method: str, answer: Path, miss: Path | None = None) -> rpc.StatusServiceServicer:
    """A servicer whose `method` answers the message read from `answer` once, whatever it is asked; with `miss` (a
    GetInvoice answer carrying the receipt), that one instead when the request names no held receipt (an edge
    worker's first query of the invoice: the real edge behind the floor status)."""
    found = status_message(method, "output_type", answer.read_bytes())
    servicer = rpc.StatusServiceServicer()
    if miss is None:
        setattr(servicer, method, lambda request, context: found)
    else:
        sent = status_message(method, "output_type", miss.read_bytes())
        setattr(servicer, method, lambda request, context: found if request.held_receipt_sha256 else sent)
    return servicer


def _bare(port: int, tls: ServiceTls | None, servicer: rpc.StatusServiceServicer | None = None) -> grpc.Server:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    rpc.add_StatusServiceServicer_to_server(servicer or _Bare(), server)
    if tls is None:
        server.add_insecure_port(f"127.0.0.1:{port}")
    else:
        server.add_secure_port(f"127.0.0.1:{port}", server_credentials(tls, "status"))
    server.start()
    return server


def _status(port: int, tls: ServiceTls, without: frozenset[str] = frozenset()):
    """The status service's gRPC side, wired as status_service.__main__.build wires it, minus Kafka."""
    from status_service.grpc_api import StatusApi
    from status_service.handlers import Queries
    from status_service.metering import MeteredProgress
    from status_service.startup import NOT_READY
    from tests.unit.domain.factories import T0, registered, registration
    from ventanilla.domain.events import InvoiceRegistered
    from ventanilla.domain.invoice import InvoiceKey
    from ventanilla.adapters.blob_store import DirectoryBlobStore
    from ventanilla.adapters.catch_up import CatchUp
    from ventanilla.adapters.grpc_server import GrpcServer, ReadyGate
    from ventanilla.adapters.projection_store import ProjectionStore
    from ventanilla.adapters.service_tls import server_options
    from ventanilla.observability.process import Observability

    state = Path(tempfile.mkdtemp(prefix="bench-hop-"))
    store = ProjectionStore(state / "projection.sqlite3")
    store.apply(registered(INVOICE_ID), "invoice-events", 0, 0)
    # an invoice submitted by a certificate the edge accepts (bench_edge_estado.py --hop; B12345678 is no valid NIF)
    invoice = replace(registration(EDGE_CALLER_INVOICE, EDGE_CALLER), key=InvoiceKey(EDGE_CALLER, 2026, "A-", "8"))
    store.apply(InvoiceRegistered("e-reg-8", EDGE_CALLER_INVOICE, T0, invoice), "invoice-events", 0, 1)
    catch_up = CatchUp(lambda: {0: 2}, store.positions("invoice-events"), 5.0)
    obs = Observability.quiet("status")  # metrics kept, as the stack's status (its /metrics not served here)
    reads = MeteredProgress(catch_up, obs.metrics.catch_up_wait, obs.metrics.catch_up_timeouts)
    api = (_Bare() if "api" in without else
           StatusApi(Queries(store, DirectoryBlobStore(state / "blobs"), reads), obs.metrics.group_query_items))
    ready = threading.Event()
    ready.set()
    gate = (*(() if "metrics" in without else obs.server_interceptors()),
            *(() if "gate" in without else (ReadyGate(ready, NOT_READY),)))
    options = server_options(tls, "status", gate, health=False)
    if "check" in without:
        options["interceptors"] = gate
    if "api" not in without:
        api.GetStates = _thread_timed(api.GetStates, "handler")
        store.statuses = _thread_timed(store.statuses, "projection lookup")
    if "aio" in without or "generic" in without:  # not parts left out: the same layers on another server shape
        from tests.benchmarks.hop_alternatives import serve, serve_sync
        stop = (serve if "aio" in without else serve_sync)(
            port, tls, lambda s: rpc.add_StatusServiceServicer_to_server(api, s),
            obs.metrics.grpc_server_interceptor()._calls, ready)  # noqa: SLF001 - the same metrics' children
        return SimpleNamespace(stop=stop)
    server = GrpcServer(f"127.0.0.1:{port}", [lambda s: rpc.add_StatusServiceServicer_to_server(api, s)], **options)
    server.start()
    return server


THREAD_CPU: dict[str, list[int]] = {}  # part: [thread CPU ns, calls], printed when the server stops


def _thread_timed(function, part: str):
    """function, its thread's CPU time summed (time.thread_time_ns: this thread only, not the GIL's other holders)."""
    spent = THREAD_CPU.setdefault(part, [0, 0])

    def timed(*args):
        begun = time.thread_time_ns()
        try:
            return function(*args)
        finally:
            spent[0] += time.thread_time_ns() - begun
            spent[1] += 1
    return timed


def main(argv: list[str]) -> None:
    variant, port, directory, ca = argv
    tls = ServiceTls.from_env({"VENTANILLA_SERVICE_TLS_DIR": directory, "VENTANILLA_SERVICE_TLS_CA": ca}, Path("."))
    if variant == "floor":
        miss = os.environ.get("BENCH_FLOOR_MISS_ANSWER")
        server = _bare(int(port), tls, _floor(os.environ["BENCH_FLOOR_METHOD"], Path(os.environ["BENCH_FLOOR_ANSWER"]),
                                              Path(miss) if miss else None))
    elif variant.startswith("bare"):
        server = _bare(int(port), tls if variant == "bare-tls" else None)
    else:
        server = _status(int(port), tls, frozenset(variant.split("-")[1:]))
    print("ready", flush=True)
    sys.stdin.read()
    server.stop(0)
    print(json.dumps({part: round(ns / max(1, calls) / 1000, 1) for part, (ns, calls) in THREAD_CPU.items()}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

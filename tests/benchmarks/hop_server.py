"""A GetStates server for bench_hop.py: `python -m tests.benchmarks.hop_server VARIANT PORT TLS_DIR TLS_CA`.

VARIANT: `bare` (grpcio alone, the same proto, an answer built once), `bare-tls` (the same with mutual TLS), `status`
(the status service's gRPC side as its build() wires it: GrpcServer, the callers' check, metrics and request id,
the ready gate, StatusApi over the query use cases and a SQLite projection holding one invoice). Prints "ready"."""
from __future__ import annotations

import sys
import tempfile
import threading
from concurrent import futures
from pathlib import Path

import grpc

from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc as rpc
from ventanilla.adapters.invoice_messages import state_to_pb
from ventanilla.config import ServiceTls
from ventanilla.domain.invoice import State

SUPPLIER, INVOICE_ID = "B12345678", 7


class _Bare(rpc.StatusServiceServicer):
    """GetStates answering the same bytes as the status service for one registered invoice, built once."""

    answer = pb.StatesAnswer(items=[pb.StateItem(state=state_to_pb(State.REGISTRADA), remarks="")])

    def GetStates(self, request, context):
        return self.answer


def _bare(port: int, tls: ServiceTls | None, workers: int = 16) -> grpc.Server:
    import json, os
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers),
                         options=[tuple(o) for o in json.loads(os.environ.get("HOP_SERVER_OPTIONS", "[]"))])
    rpc.add_StatusServiceServicer_to_server(_Bare(), server)
    if tls is None:
        server.add_insecure_port(f"127.0.0.1:{port}")
    else:
        from ventanilla.adapters.service_tls import server_credentials
        server.add_secure_port(f"127.0.0.1:{port}", server_credentials(tls, "status"))
    server.start()
    return server


def _status(port: int, tls: ServiceTls, without: frozenset[str] = frozenset()):
    """The status service's gRPC side, wired as status_service.__main__.build wires it, minus Kafka."""
    from status_service.grpc_api import StatusApi
    from status_service.handlers import Queries
    from status_service.metering import MeteredProgress
    from status_service.startup import NOT_READY
    from tests.unit.domain.factories import registered
    from ventanilla.adapters.blob_store import DirectoryBlobStore
    from ventanilla.adapters.catch_up import CatchUp
    from ventanilla.adapters.grpc_server import GrpcServer, ReadyGate
    from ventanilla.adapters.projection_store import ProjectionStore
    from ventanilla.adapters.service_tls import server_options
    from ventanilla.observability.process import Observability

    state = Path(tempfile.mkdtemp(prefix="bench-hop-"))
    store = ProjectionStore(state / "projection.sqlite3")
    store.apply(registered(INVOICE_ID), "invoice-events", 0, 0)
    catch_up = CatchUp(lambda: {0: 1}, store.positions("invoice-events"), 5.0)
    obs = Observability.quiet("status")  # metrics kept, as the stack's status (its /metrics not served here)
    reads = MeteredProgress(catch_up, obs.metrics.catch_up_wait, obs.metrics.catch_up_timeouts)
    api = StatusApi(Queries(store, DirectoryBlobStore(state / "blobs"), reads), obs.metrics.group_query_items)
    ready = threading.Event()
    ready.set()
    gate = (*(() if "metrics" in without else obs.server_interceptors()),
            *(() if "gate" in without else (ReadyGate(ready, NOT_READY),)))
    if "sqlite" in without:  # exploration: the statuses from a dict
        found = store.statuses([INVOICE_ID])
        store.statuses = lambda ids: {i: found[i] for i in ids if i in found}
    if "api" in without:
        api = _Bare()
    if "timed" in without:  # exploration: the handler's own thread CPU, printed at the end
        import atexit, time
        spent, plain = [0, 0], api.GetStates

        def timed(request, context):
            begun = time.thread_time_ns()
            try:
                return plain(request, context)
            finally:
                spent[0] += time.thread_time_ns() - begun
                spent[1] += 1
        api.GetStates = timed
        spent2, plain2 = [0, 0], store.statuses

        def timed2(ids):
            begun = time.thread_time_ns()
            try:
                return plain2(ids)
            finally:
                spent2[0] += time.thread_time_ns() - begun
                spent2[1] += 1
        store.statuses = timed2
        atexit.register(lambda: print("statuses us", spent2[0] / max(1, spent2[1]) / 1000, file=sys.stderr))
        atexit.register(lambda: print("handler us", spent[0] / max(1, spent[1]) / 1000, spent[1], file=sys.stderr))
    options = server_options(tls, "status", gate, health=False)
    if "check" in without:
        options["interceptors"] = gate
    workers = next((int(w[1:]) for w in without if w.startswith("w")), 16)
    server = GrpcServer(f"127.0.0.1:{port}", [lambda s: rpc.add_StatusServiceServicer_to_server(api, s)],
                        workers=workers, **options)
    server.start()
    return server


class _AioBare(rpc.StatusServiceServicer):
    async def GetStates(self, request, context):
        return _Bare.answer


def _aio(port: int, tls: ServiceTls):
    import asyncio

    from ventanilla.adapters.service_tls import server_credentials

    async def serve():
        server = grpc.aio.server()
        rpc.add_StatusServiceServicer_to_server(_AioBare(), server)
        server.add_secure_port(f"127.0.0.1:{port}", server_credentials(tls, "status"))
        await server.start()
        print("ready", flush=True)
        await server.wait_for_termination()
    threading.Thread(target=lambda: asyncio.run(serve()), daemon=True).start()
    import time
    time.sleep(0.5)

    class _Stop:
        def stop(self, _grace):
            pass
    return _Stop()


def main(argv: list[str]) -> None:
    variant, port, directory, ca = argv
    tls = ServiceTls.from_env({"VENTANILLA_SERVICE_TLS_DIR": directory, "VENTANILLA_SERVICE_TLS_CA": ca}, Path("."))
    server = {"bare": lambda: _bare(int(port), None), "bare-tls": lambda: _bare(int(port), tls),
              "bare-tls-w4": lambda: _bare(int(port), tls, 4), "bare-tls-w1": lambda: _bare(int(port), tls, 1),
              "aio-tls": lambda: _aio(int(port), tls),
              "status": lambda: _status(int(port), tls)}.get(variant) or (
        lambda: _status(int(port), tls, frozenset(variant.split("-")[1:])))  # status-check-metrics...: without those
    server = server()
    if variant != "aio-tls":
        print("ready", flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
    server.stop(0)


if __name__ == "__main__":
    main(sys.argv[1:])

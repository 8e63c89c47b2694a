"""What the metrics cost per request, part by part, without a request around them: the edge's Metering (started +
answered), the gRPC client interceptor around a call and the server interceptor around a handler, each as this
checkout has it and as REV had it (REV's metering.py loaded from git; py-grpc-prometheus's interceptors as a
second layer next to the request id's), alternated, in prometheus-client's multiprocess mode (the edge's workers).

`python -m tests.benchmarks.metering_cost [REV]` (bench_observability.py runs it); JSON out: µs per request.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import timeit
from pathlib import Path

os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metering-cost-")  # before prometheus_client

ROOT = Path(__file__).resolve().parents[2]
METHOD = "/ventanilla.v1.StatusService/GetStates"


class _Details:
    method = METHOD
    timeout = metadata = credentials = wait_for_ready = compression = None
    invocation_metadata = (("x-request-id", "0123456789abcdef"),)


class _Outcome:
    def code(self):
        import grpc
        return grpc.StatusCode.OK


class _Context:
    class _state:  # noqa: N801 - the shape of grpc's servicer context state
        client = None
        code = None


def _writes() -> dict:
    """A counter's inc as Metrics makes it (batched: BufferedValues) and as main had it (prometheus-client's
    mmap-backed value, written on every inc, the pid read once), each on files of its own directory."""
    from prometheus_client import Counter, values

    from ventanilla.observability.metrics import Metrics

    Metrics("soap-edge")  # the batched values from here on
    after, batched = Counter("after_writes", "w", registry=None), values.ValueClass
    directory, os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"], tempfile.mkdtemp()
    pid = os.getpid()
    values.ValueClass = values.MultiProcessValue(process_identifier=lambda: pid)
    try:
        before = Counter("before_writes", "w", registry=None)
    finally:
        os.environ["PROMETHEUS_MULTIPROC_DIR"], values.ValueClass = directory, batched
    return {"after": after.inc, "before": before.inc}


def parts(rev: str) -> dict[str, dict]:
    """name -> {"after": callable, "before": callable}: one request's worth of each part."""
    import grpc
    from prometheus_client import CollectorRegistry
    from py_grpc_prometheus.prometheus_client_interceptor import PromClientInterceptor
    from py_grpc_prometheus.prometheus_server_interceptor import PromServerInterceptor

    from soap_edge.facts import RequestFacts, Transfer
    from soap_edge.http.metering import Metering
    from tests.benchmarks.edge_overhead import _module_of
    from ventanilla.observability.grpc_interceptors import RequestIdServerInterceptor
    from ventanilla.observability.metrics import Metrics

    facts = RequestFacts("rid", "POST", "/ws", transfer=Transfer.INLINE, operation="consultarEstadoFactura",
                         body_bytes=900)
    before_metering = _module_of(rev, "services/soap-edge/soap_edge/http/metering.py", "before").Metering

    def metering(made):
        def one():
            made.started()
            made.answered(facts, None, 1200, 0.004)
        return one

    outcome, context, handler = _Outcome(), _Context(), grpc.unary_unary_rpc_method_handler(lambda r, c: b"")
    after_client = Metrics("soap-edge").grpc_client_interceptor()
    before_client = PromClientInterceptor(enable_client_handling_time_histogram=True, registry=CollectorRegistry())
    after_server = Metrics("status").grpc_server_interceptor()
    before_prom = PromServerInterceptor(enable_handling_time_histogram=True, registry=CollectorRegistry())
    request_id = RequestIdServerInterceptor()

    def client_before():  # py-grpc-prometheus alone (its layer in grpc's chain and the request id not counted)
        before_client.intercept_unary_unary(lambda d, r: outcome, _Details, None)

    def server_before():
        wrapped = request_id.intercept_service(lambda d: before_prom.intercept_service(lambda d2: handler, d), _Details)
        wrapped.unary_unary(b"", context)

    return {"one multiprocess counter inc (after: batched; before: written, pid read once)": _writes(),
            "edge Metering (started + answered)": {"after": metering(Metering(Metrics("soap-edge"))),
                                                   "before": metering(before_metering(Metrics("soap-edge")))},
            "gRPC client metrics (one call)": {
                "after": lambda: after_client.intercept_unary_unary(lambda d, r: outcome, _Details, None),
                "before": client_before},
            "gRPC server request id + metrics (one call)": {
                "after": lambda: after_server.intercept_service(lambda d: handler, _Details).unary_unary(b"", context),
                "before": server_before}}


def measure(rev: str, number: int = 5000, turns: int = 15) -> dict:
    """Median µs per request of each part, before and after alternated turn by turn."""
    found = {}
    for name, variants in parts(rev).items():
        times: dict[str, list[float]] = {"after": [], "before": []}
        for _ in range(turns):
            for label, one in variants.items():
                times[label].append(timeit.timeit(one, number=number) / number * 1e6)
        found[name] = {label: round(statistics.median(t), 2) for label, t in times.items()}
    return found


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(ROOT / "services" / "soap-edge")]
    print(json.dumps(measure(sys.argv[1] if len(sys.argv) > 1 else "main")))

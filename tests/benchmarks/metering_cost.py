"""What the metrics cost per request, part by part, without a request around them: the edge's Metering (started +
answered), the gRPC client interceptor around a call and the server interceptor around a handler, each as this
checkout has it and as REV had it (REV's metering.py and grpc_metrics.py loaded from git), alternated, in
prometheus-client's multiprocess mode (the edge's workers). Each turn is 1,000 requests and then one collection of
this checkout's tallies (what the flusher does once a second), so that its cost is counted.

`python -m tests.benchmarks.metering_cost [REV]` (bench_observability.py runs it); JSON out: µs per request.
"""
from __future__ import annotations

import inspect
import json
import os
import statistics
import sys
import tempfile
import time
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


def _before_calls(kind, registry):
    """REV's call metrics: tallied since branch i14-metrics (they take the process's Tallies), else on registry alone."""
    if "tallies" in inspect.signature(kind).parameters:
        from ventanilla.observability.tally import Tallies

        return kind(registry, Tallies())
    return kind(registry)


def parts(rev: str) -> dict[str, dict]:
    """name -> {"after": callable, "before": callable}: one request's worth of each part."""
    import grpc
    from prometheus_client import CollectorRegistry

    from soap_edge.facts import RequestFacts, Transfer
    from soap_edge.http.metering import Metering
    from tests.benchmarks.edge_overhead import before_modules
    from ventanilla.observability.metrics import Metrics

    facts = RequestFacts("rid", "POST", "/ws", transfer=Transfer.INLINE, operation="consultarEstadoFactura",
                         body_bytes=900)
    before_metering, before_grpc = before_modules(rev)

    def metering(made):
        def one():
            made.started()
            made.answered(facts, None, 1200, 0.004)
        return one

    outcome, context, handler = _Outcome(), _Context(), grpc.unary_unary_rpc_method_handler(lambda r, c: b"")
    edge, status = Metrics("soap-edge"), Metrics("status")
    after_client, after_server = edge.grpc_client_interceptor(), status.grpc_server_interceptor()
    before_client = _before_calls(before_grpc.MeteredClientCalls, CollectorRegistry())
    before_server = _before_calls(before_grpc.MeteredServerCalls, CollectorRegistry())

    def client(interceptor):
        return lambda: interceptor.intercept_unary_unary(lambda d, r: outcome, _Details, None)

    def server(interceptor):
        return lambda: interceptor.intercept_service(lambda d: handler, _Details).unary_unary(b"", context)

    return {"one multiprocess counter inc (after: batched; before: written, pid read once)": _writes(),
            "edge Metering (started + answered)": {"after": metering(Metering(edge)),
                                                   "before": metering(before_metering.Metering(Metrics("soap-edge")))},
            "gRPC client metrics (one call)": {"after": client(after_client), "before": client(before_client)},
            "gRPC server request id + metrics (one call)": {"after": server(after_server),
                                                            "before": server(before_server)}}


def measure(rev: str, number: int = 1000, turns: int = 15) -> dict:
    """Median CPU µs per request of each part (the process's CPU time, which a neighbour's load disturbs less than
    the wall clock), before and after alternated turn by turn; each turn ends with a flush of
    the process's values (the tallies' collection first), as the flusher's once a second, counted in the turn."""
    from ventanilla.observability.exposition import flush_values

    found = {}
    for name, variants in parts(rev).items():
        times: dict[str, list[float]] = {"after": [], "before": []}
        for _ in range(turns):
            for label, one in variants.items():
                times[label].append((timeit.Timer(one, timer=time.process_time).timeit(number)
                                     + timeit.Timer(flush_values, timer=time.process_time).timeit(1))
                                    / number * 1e6)
        found[name] = {label: round(statistics.median(t), 2) for label, t in times.items()}
    return found


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(ROOT / "services" / "soap-edge")]
    print(json.dumps(measure(sys.argv[1] if len(sys.argv) > 1 else "main")))

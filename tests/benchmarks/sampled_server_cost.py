"""What one sampled call costs a gRPC server (the status service's side of a sampled estado): the server interceptors
of this checkout with tracing on, callers whose traces are all sampled against callers whose traces are all
unsampled, spans through the batch span processor to an exporter that encodes them as the OTLP exporter does
(server_traced_cost.Encoded), each turn ending with force_flush so that its spans are encoded within it.

`.venv/bin/python -m tests.benchmarks.sampled_server_cost [turns] [--profile]`. Served: server and client in this
process on loopback, turns of 400 calls, process CPU µs per call, median of per-turn differences (sampled less
unsampled). --profile: the same interceptor chain called directly in this thread (a handler call's details and a
servicer context as grpc gives them, no network), cProfile of the sampled calls less the unsampled ones per call.
JSON out.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from collections import namedtuple

from tests.benchmarks.server_spans_cost import _served
from tests.benchmarks.server_traced_cost import _traced
from ventanilla.observability.grpc_interceptors import server_interceptors
from ventanilla.observability.metrics import Metrics
from ventanilla.observability.tracing import Tracing, _provider

CALLS = 400
_TRACE = "00-0af7651916cd43dd8448eb211c80{:04x}-b7ad6b7169203331-0{}"  # 32 hex digits
Metadatum = namedtuple("Metadatum", "key value")
Details = namedtuple("Details", "method invocation_metadata")


def _metadata(n: int, sampled: bool) -> tuple:
    return (("traceparent", _TRACE.format(n % 65536, 1 if sampled else 0)), ("x-request-id", "bench"),
            ("user-agent", "grpc-python/1.85.1 grpc-c/53.0.0 (linux; chttp2)"))


class _Context:
    """A servicer context as grpc gives it to a handler (what the interceptors read)."""

    _state = namedtuple("State", "client code")(None, None)  # grpc's, read by the metrics for the code

    def __init__(self, metadata):
        self._metadata = tuple(Metadatum(k, v) for k, v in metadata)

    def invocation_metadata(self):
        return self._metadata

    def peer(self):
        return "ipv4:127.0.0.1:50412"

    def set_code(self, code):
        pass

    def set_details(self, details):
        pass

    def code(self):
        return None  # no code set: the handler answered

    def details(self):
        return None


def _profiled(provider, turns: int) -> str:
    import cProfile
    import grpc

    from tests.benchmarks.sampled_cost import _difference

    interceptor, = server_interceptors(Metrics("status"), Tracing(provider, True))
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: b"ok")
    calls = {ratio: [(Details("/ventanilla.v1.StatusService/GetStateBatch", _metadata(n, ratio == "1")),
                      _Context(_metadata(n, ratio == "1"))) for n in range(CALLS)] for ratio in ("0", "1")}
    profilers = {ratio: cProfile.Profile() for ratio in calls}  # one thread, nothing waited for
    for turn in range(turns):
        for ratio in (("0", "1") if turn % 2 == 0 else ("1", "0")):
            profilers[ratio].enable()
            for details, context in calls[ratio]:
                interceptor.intercept_service(lambda _details: handler, details).unary_unary(b"x", context)
            provider.force_flush()
            profilers[ratio].disable()
    return _difference(profilers, turns * CALLS)


def main(turns: int = 15, profile: bool = False) -> dict:
    import os

    os.environ.update({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"})
    provider = _traced(_provider("status"))
    server, call = _served(server_interceptors(Metrics("status"), Tracing(provider, True)))
    metadata = {ratio: [_metadata(n, ratio == "1") for n in range(CALLS)] for ratio in ("0", "1")}
    for n in range(300):
        call(b"x", metadata=metadata[str(n % 2)][n % CALLS])
    cpu: dict[str, list[float]] = {"0": [], "1": []}
    load = [os.getloadavg()[0]]
    for turn in range(turns):
        for ratio in (("0", "1") if turn % 2 == 0 else ("1", "0")):
            started = time.process_time()
            for n in range(CALLS):
                call(b"x", metadata=metadata[ratio][n])
            provider.force_flush()
            cpu[ratio].append((time.process_time() - started) / CALLS * 1e6)
    load.append(os.getloadavg()[0])
    server.stop(None)
    found = {"unsampled_us_per_call": round(statistics.median(cpu["0"]), 1),
             "sampled_us_per_call": round(statistics.median(cpu["1"]), 1),
             "sampled_call_adds_us": round(statistics.median(s - u for s, u in zip(cpu["1"], cpu["0"])), 1),
             "turns": turns, "calls_per_turn": CALLS, "loadavg_1min": load}
    if profile:
        found["profile"] = _profiled(provider, max(4, turns // 3))
    provider.shutdown()
    return found


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    result = main(numbers[0] if numbers else 15, "--profile" in sys.argv)
    text = result.pop("profile", None)
    if text:
        print(text)
    print(json.dumps(result))

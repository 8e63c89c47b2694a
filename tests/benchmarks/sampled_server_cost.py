"""What tracing costs a gRPC server (the status service's side of an estado), per call, in one process, interleaved:
the server interceptors of this checkout with tracing off (metrics on) against the same with tracing on, for callers
whose traces are unsampled (nine calls in ten at 10 %) and sampled; and OpenTelemetry's own server interceptor in
front of the metrics (what a sampled call went through before branch i14-status-span) for sampled callers. Spans go
through the batch span processor to an exporter that encodes them as the OTLP exporter does
(server_traced_cost.Encoded), each turn ending with force_flush so that its spans are encoded within it.

`.venv/bin/python -m tests.benchmarks.sampled_server_cost [turns] [--profile]`. Served: one server per setting and
their clients in this process on loopback, turns of 400 calls per (setting, caller) pair, the pairs' order rotated
each turn, process CPU µs per call, medians of per-turn differences. Direct: the same interceptor chains called in
this thread (a handler call's details and a servicer context as grpc gives them, no network), thread CPU µs per
call: the interceptors' own work without the network's noise. --profile: cProfile of the direct sampled calls less
the unsampled ones. JSON out.
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


def _variants(provider) -> dict:
    """The interceptor lists of each server: tracing off, this checkout's tracing, the instrumentation's."""
    from opentelemetry.instrumentation.grpc import server_interceptor

    from ventanilla.observability.grpc_spans import not_health
    return {"off": server_interceptors(Metrics("status"), Tracing.off()),
            "traced": server_interceptors(Metrics("status"), Tracing(provider, True)),
            "instrumentation": [server_interceptor(tracer_provider=provider, filter_=not_health),
                                *server_interceptors(Metrics("status"), Tracing.off())]}


PAIRS = (("off", "0"), ("traced", "0"), ("traced", "1"), ("instrumentation", "1"))  # (server, caller sampled?)


def _summary(cpu: dict) -> dict:
    """Medians per pair, and the differences that matter, as medians of per-turn differences."""
    def added(a, b):
        return round(statistics.median(x - y for x, y in zip(cpu[a], cpu[b])), 1)
    return {"us_per_call": {f"{server}, caller {'sampled' if sampled == '1' else 'unsampled'}":
                            round(statistics.median(cpu[server, sampled]), 1) for server, sampled in PAIRS},
            "unsampled_vs_off_us": added(("traced", "0"), ("off", "0")),
            "unsampled_vs_off_ratio": round(statistics.median(cpu["traced", "0"]) / statistics.median(cpu["off", "0"]), 3),
            "sampled_call_adds_us": added(("traced", "1"), ("traced", "0")),
            "instrumentation_sampled_call_adds_us": added(("instrumentation", "1"), ("traced", "0"))}


def _direct(provider, turns: int) -> dict:
    """The interceptor chains called directly in this thread, thread CPU µs per call."""
    import grpc

    chains = {name: interceptors for name, interceptors in _variants(provider).items()}
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: b"ok")
    calls = {ratio: [(Details("/ventanilla.v1.StatusService/GetStateBatch", _metadata(n, ratio == "1")),
                      _Context(_metadata(n, ratio == "1"))) for n in range(CALLS)] for ratio in ("0", "1")}

    def through(interceptors, details):
        def continuation(d, rest=tuple(interceptors)):  # grpc's pipeline: each interceptor's continuation the next
            if not rest:
                return handler
            return rest[0].intercept_service(lambda d2: continuation(d2, rest[1:]), d)
        return continuation(details)
    cpu: dict = {pair: [] for pair in PAIRS}
    for turn in range(turns):
        for server, ratio in PAIRS[turn % len(PAIRS):] + PAIRS[:turn % len(PAIRS)]:
            started = time.thread_time()
            for details, context in calls[ratio]:
                through(chains[server], details).unary_unary(b"x", context)
            provider.force_flush()
            cpu[server, ratio].append((time.thread_time() - started) / CALLS * 1e6)
    return _summary(cpu)


def main(turns: int = 15, profile: bool = False) -> dict:
    import os

    os.environ.update({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"})
    provider = _traced(_provider("status"))
    servers = {name: _served(interceptors) for name, interceptors in _variants(provider).items()}
    metadata = {ratio: [_metadata(n, ratio == "1") for n in range(CALLS)] for ratio in ("0", "1")}
    for n in range(300):
        for _server, call in servers.values():
            call(b"x", metadata=metadata[str(n % 2)][n % CALLS])
    cpu: dict = {pair: [] for pair in PAIRS}
    load = [os.getloadavg()[0]]
    for turn in range(turns):
        for server, ratio in PAIRS[turn % len(PAIRS):] + PAIRS[:turn % len(PAIRS)]:
            call = servers[server][1]
            started = time.process_time()
            for n in range(CALLS):
                call(b"x", metadata=metadata[ratio][n])
            provider.force_flush()
            cpu[server, ratio].append((time.process_time() - started) / CALLS * 1e6)
    for server, _call in servers.values():
        server.stop(None)
    found = {"served": _summary(cpu), "direct": _direct(provider, turns * 2)}
    load.append(os.getloadavg()[0])
    found.update({"unsampled_us_per_call": found["served"]["us_per_call"]["traced, caller unsampled"],
                  "sampled_us_per_call": found["served"]["us_per_call"]["traced, caller sampled"],
                  "sampled_call_adds_us": found["served"]["sampled_call_adds_us"],
                  "turns": turns, "calls_per_turn": CALLS, "loadavg_1min": load})
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

"""gRPC calls metered on prometheus-client in the same interceptor that carries the request id: one layer of
grpc's interceptor chain instead of two, each call tallied in one row (tally.py).

Names and labels are go-grpc-prometheus's, as py-grpc-prometheus writes them (grpc_server_started_total,
grpc_{client,server}_handled_total{grpc_code}, grpc_{client,server}_handling_seconds; no client started_total), so
dashboards and rules are unchanged; py-grpc-prometheus's own interceptors cost 15-30 µs a call, mostly in labels() (docs/benchmarks.md)."""
from __future__ import annotations

import time
from bisect import bisect_left

import grpc
from prometheus_client import CollectorRegistry, Counter, Histogram

from ventanilla.observability import external
from ventanilla.observability.grpc_interceptors import RequestIdClientInterceptor, RequestIdServerInterceptor, bound_to
from ventanilla.observability.grpc_spans import CallTrace
from ventanilla.observability.tally import Tallies

UNARY, CLIENT_STREAMING = "UNARY", "CLIENT_STREAMING"  # grpc_type of proto/ventanilla/v1's methods


def _method_labels(method: str | bytes) -> tuple[str, str]:
    """(grpc_service, grpc_method) of "/package.Service/Method"."""
    if isinstance(method, bytes):
        method = method.decode()
    _, service, name = (method.split("/", 2) + ["", ""])[:3]
    return service, name


class CallMetrics:
    """One side's call metrics: started (the server's only), handled (by code) and handling time, by method, tallied
    in this thread's row of (grpc_type, grpc_service, grpc_method, grpc_code) and handed to prometheus-client's
    metrics when collected (tally.py). A gRPC server of any kind (grpcio's threads, grpc.aio) records through
    `started` and `handled`."""

    def __init__(self, registry: CollectorRegistry, tallies: Tallies, side: str):
        specs = {spec.key: spec for spec in external.SPECS}

        def made(fact: str, kind):
            spec = specs[f"grpc_{side}_{fact}"]
            return kind(spec.name, spec.help, spec.labels, registry=registry)
        self._rows = rows = tallies.rows()
        self._local = rows.local
        self._started = rows.added(made("started", Counter), _call) if f"grpc_{side}_started" in specs else None
        self._handled = rows.added(made("handled", Counter), _ended)
        self._handling, self._bounds = rows.histogram(made("handling", Histogram), _call)
        self.known: dict[str | bytes, tuple[str, str]] = {}  # full method name -> (grpc_service, grpc_method)

    def labels(self, method: str | bytes) -> tuple[str, str]:
        """(grpc_service, grpc_method) of a full method name, split once."""
        found = self.known.get(method)
        if found is None:
            found = self.known[method] = _method_labels(method)
        return found

    def started(self, kind: str, service: str, method: str) -> None:
        """A call began (counted by the server only)."""
        key = (kind, service, method, None)
        try:
            row = self._local.table[key]
        except (AttributeError, KeyError):
            row = self._rows.row(key)
        row[self._started] += 1

    def handled(self, kind: str, service: str, method: str, code: grpc.StatusCode, seconds: float) -> None:
        """A call ended with code after seconds."""
        key = (kind, service, method, code)
        try:  # the row's lookup inlined (no Python call): this runs on every call
            row = self._local.table[key]
        except (AttributeError, KeyError):
            row = self._rows.row(key)
        row[self._handled] += 1
        at = self._handling
        row[at] += seconds
        row[at + 1 + bisect_left(self._bounds, seconds)] += 1  # prometheus-client's bucket: first bound >= seconds


def _call(key: tuple) -> tuple:
    return key[:3]


def _ended(key: tuple) -> tuple:
    return key[0], key[1], key[2], key[3].name


class MeteredClientCalls(RequestIdClientInterceptor):
    """The request id on every call, and each unary or client-streaming call counted when handled by its code, and
    timed until its answer (py-grpc-prometheus's PromClientInterceptor's observations but started_total: a
    synchronous call's start is its end's, so handled_total says the same for one multiprocess write less)."""

    def __init__(self, registry: CollectorRegistry, tallies: Tallies):
        self._calls = CallMetrics(registry, tallies, "client")

    def _metered(self, kind: str, continuation, client_call_details, request):
        calls = self._calls
        labels = calls.known.get(client_call_details.method)
        service, method = labels if labels is not None else calls.labels(client_call_details.method)
        start = time.perf_counter()
        outcome = self._call(continuation, client_call_details, request)
        calls.handled(kind, service, method, outcome.code(), time.perf_counter() - start)
        return outcome

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return self._metered(UNARY, continuation, client_call_details, request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return self._metered(CLIENT_STREAMING, continuation, client_call_details, request_iterator)


def _code(context) -> grpc.StatusCode:
    """The code a unary handler ended with (as py-grpc-prometheus reads it: grpc's servicer context state)."""
    state = context._state  # noqa: SLF001 - grpc offers no public accessor for the code a handler set
    if state.client == "cancelled":
        return grpc.StatusCode.CANCELLED
    return state.code or grpc.StatusCode.OK


class MeteredServerCalls(RequestIdServerInterceptor):
    """The caller's request id made current, and each unary call counted when started, and when handled by its
    code, and timed (the observations of py-grpc-prometheus's PromServerInterceptor), in one wrapper; unary and
    client-streaming methods alike."""

    def __init__(self, registry: CollectorRegistry, tallies: Tallies):
        super().__init__()
        self._calls = CallMetrics(registry, tallies, "server")

    def _wrapped(self, handler, method: str, traced: CallTrace | None = None):
        run = self._metered(UNARY, handler.unary_unary, method, traced)
        return grpc.unary_unary_rpc_method_handler(run, handler.request_deserializer, handler.response_serializer)

    def _wrapped_stream(self, handler, method: str, traced: CallTrace | None = None):
        run = self._metered(CLIENT_STREAMING, handler.stream_unary, method, traced)
        return grpc.stream_unary_rpc_method_handler(run, handler.request_deserializer, handler.response_serializer)

    def _metered(self, kind: str, behavior, full_method: str, traced: CallTrace | None):
        """The method's behaviour counted, timed and run with each call's request id (and trace) current."""
        bound = bound_to(behavior, traced)
        calls = self._calls
        service, method = calls.labels(full_method)

        def run(request, context):
            calls.started(kind, service, method)
            begun = time.perf_counter()
            code = None
            try:
                return bound(request, context)
            except Exception:
                code = _code(context)
                code = grpc.StatusCode.UNKNOWN if code is grpc.StatusCode.OK else code
                raise
            finally:
                calls.handled(kind, service, method, code or _code(context), time.perf_counter() - begun)
        return run

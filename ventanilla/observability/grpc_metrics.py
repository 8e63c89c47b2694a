"""gRPC calls metered on prometheus-client in the same interceptor that carries the request id: one layer of
grpc's interceptor chain instead of two, children looked up once per method and code.

Names and labels are go-grpc-prometheus's, as py-grpc-prometheus writes them (grpc_server_started_total,
grpc_{client,server}_handled_total{grpc_code}, grpc_{client,server}_handling_seconds; no client started_total), so
dashboards and rules are unchanged; py-grpc-prometheus's own interceptors cost 15-30 µs a call, mostly in labels() (docs/benchmarks.md)."""
from __future__ import annotations

import time

import grpc
from prometheus_client import CollectorRegistry, Counter, Histogram

from ventanilla.observability import external
from ventanilla.observability.children import Children
from ventanilla.observability.grpc_interceptors import RequestIdClientInterceptor, RequestIdServerInterceptor, bound_to
from ventanilla.observability.grpc_spans import Current

UNARY, CLIENT_STREAMING = "UNARY", "CLIENT_STREAMING"  # grpc_type of proto/ventanilla/v1's methods


def _method_labels(method: str | bytes) -> tuple[str, str]:
    """(grpc_service, grpc_method) of "/package.Service/Method"."""
    if isinstance(method, bytes):
        method = method.decode()
    _, service, name = (method.split("/", 2) + ["", ""])[:3]
    return service, name


class _Calls:
    """started (the server's only), handled (by code) and handling-time children of one side's metrics, by method."""

    def __init__(self, registry: CollectorRegistry, side: str):
        specs = {spec.key: spec for spec in external.SPECS}

        def made(fact: str, kind):
            spec = specs[f"grpc_{side}_{fact}"]
            return Children(kind(spec.name, spec.help, spec.labels, registry=registry))
        self.started = made("started", Counter) if f"grpc_{side}_started" in specs else None
        self.handled, self.handling = made("handled", Counter), made("handling", Histogram)
        self._methods: dict[str | bytes, tuple[str, str]] = {}

    def labels(self, method: str | bytes) -> tuple[str, str]:
        """(grpc_service, grpc_method) of a full method name, split once."""
        found = self._methods.get(method)
        if found is None:
            found = self._methods[method] = _method_labels(method)
        return found


class MeteredClientCalls(RequestIdClientInterceptor):
    """The request id on every call, and each unary or client-streaming call counted when handled by its code, and
    timed until its answer (py-grpc-prometheus's PromClientInterceptor's observations but started_total: a
    synchronous call's start is its end's, so handled_total says the same for one multiprocess write less)."""

    def __init__(self, registry: CollectorRegistry):
        calls = _Calls(registry, "client")
        self._handled, self._handling, self._labels = calls.handled, calls.handling, calls.labels

    def _metered(self, kind: str, continuation, client_call_details, request):
        service, method = self._labels(client_call_details.method)
        start = time.perf_counter()
        outcome = self._call(continuation, client_call_details, request)
        self._handling(kind, service, method).observe(time.perf_counter() - start)
        self._handled(kind, service, method, outcome.code().name).inc()
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

    def __init__(self, registry: CollectorRegistry):
        self._calls = _Calls(registry, "server")

    def _wrapped(self, handler, details, request_id: str | None, current: Current | None = None):
        run = self._metered(UNARY, handler.unary_unary, details, request_id, current)
        return grpc.unary_unary_rpc_method_handler(run, handler.request_deserializer, handler.response_serializer)

    def _wrapped_stream(self, handler, details, request_id: str | None, current: Current | None = None):
        run = self._metered(CLIENT_STREAMING, handler.stream_unary, details, request_id, current)
        return grpc.stream_unary_rpc_method_handler(run, handler.request_deserializer, handler.response_serializer)

    def _metered(self, kind: str, behavior, details, request_id: str | None, current: Current | None):
        """The handler's behaviour counted, timed and run with the request id (and a dropped call's trace) current."""
        bound = bound_to(request_id, behavior, current)
        service, method = self._calls.labels(details.method)
        started = self._calls.started(kind, service, method)
        handling = self._calls.handling(kind, service, method)
        handled = self._calls.handled

        def run(request, context):
            started.inc()
            begun = time.perf_counter()
            code = None
            try:
                return bound(request, context)
            except Exception:
                code = _code(context)
                code = grpc.StatusCode.UNKNOWN if code is grpc.StatusCode.OK else code
                raise
            finally:
                handling.observe(time.perf_counter() - begun)
                handled(kind, service, method, (code or _code(context)).name).inc()
        return run

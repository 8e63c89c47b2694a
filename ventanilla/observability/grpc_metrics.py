"""gRPC client calls metered on prometheus-client in the same interceptor that sends the request id: one layer
of grpc's interceptor chain instead of two, children looked up once per method and code.

Names and labels are go-grpc-prometheus's, as py-grpc-prometheus writes them (grpc_client_started_total,
grpc_client_handled_total{grpc_code}, grpc_client_handling_seconds), so dashboards and rules are unchanged."""
from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram

from ventanilla.observability import external
from ventanilla.observability.children import Children
from ventanilla.observability.grpc_interceptors import RequestIdClientInterceptor

UNARY = "UNARY"  # grpc_type: Ventanilla's services have unary methods only (proto/ventanilla/v1)


def _method_labels(method: str | bytes) -> tuple[str, str]:
    """(grpc_service, grpc_method) of "/package.Service/Method"."""
    if isinstance(method, bytes):
        method = method.decode()
    _, service, name = (method.split("/", 2) + ["", ""])[:3]
    return service, name


class MeteredClientCalls(RequestIdClientInterceptor):
    """The request id on every call, and each unary call counted when started, and when handled by its code, and
    timed until its answer (the same observations py-grpc-prometheus's PromClientInterceptor makes)."""

    def __init__(self, registry: CollectorRegistry):
        specs = {spec.key: spec for spec in external.CLIENT_SPECS}

        def made(key: str, kind):
            spec = specs[key]
            return kind(spec.name, spec.help, spec.labels, registry=registry)
        self._started = Children(made("grpc_client_started", Counter))
        self._handled = Children(made("grpc_client_handled", Counter))
        self._handling = Children(made("grpc_client_handling", Histogram))
        self._methods: dict[str | bytes, tuple[str, str]] = {}

    def _labels(self, method: str | bytes) -> tuple[str, str]:
        found = self._methods.get(method)
        if found is None:
            found = self._methods[method] = _method_labels(method)
        return found

    def intercept_unary_unary(self, continuation, client_call_details, request):
        service, method = self._labels(client_call_details.method)
        self._started(UNARY, service, method).inc()
        start = time.perf_counter()
        outcome = continuation(self._with_id(client_call_details), request)
        self._handling(UNARY, service, method).observe(time.perf_counter() - start)
        self._handled(UNARY, service, method, outcome.code().name).inc()
        return outcome

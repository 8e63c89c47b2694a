"""The gRPC instrumentation's client span, made in one step around a call already inside a sampled trace.

opentelemetry-instrumentation-grpc's client interceptor copies the metadata into an OrderedDict, starts its span
through `start_as_current_span` (a generator context manager and `use_span`), injects with the global propagator,
builds an RpcInfo, and ends a call answered as a Future in a done-callback under `use_span` a second time: about
a quarter of a sampled consultarEstadoFactura's extra CPU at the edge (tests/benchmarks/sampled_cost.py --profile).
Here the same span — the instrumentation's tracer (scope, version, schema URL), name, kind, the four attributes
given at creation, the code and error status as it sets them — is started with `start_span`, made current while
the call runs, its context written as `traceparent` directly (traceparent.Injection: the propagator otherwise),
and ended when the answer is in. tests/integration/test_client_spans.py compares both interceptors' spans.
"""
from __future__ import annotations

import grpc
from opentelemetry import context, trace
from opentelemetry.instrumentation.grpc import __name__ as _SCOPE
from opentelemetry.instrumentation.grpc.version import __version__
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.semconv._incubating.attributes.rpc_attributes import (RPC_GRPC_STATUS_CODE, RPC_METHOD,
                                                                        RPC_SERVICE, RPC_SYSTEM)
from opentelemetry.trace.status import Status, StatusCode

from ventanilla.observability import traceparent
from ventanilla.observability.sampling import Decider

_SCHEMA = "https://opentelemetry.io/schemas/1.11.0"  # the instrumentation's client_interceptor's
_OK = grpc.StatusCode.OK.value[0]


class ClientSpans:
    """A CLIENT span per traced call, as the gRPC instrumentation's client interceptor makes it."""

    def __init__(self, provider: trace.TracerProvider):
        self._tracer = trace.get_tracer(_SCOPE, __version__, provider, schema_url=_SCHEMA)
        self._children = Decider(provider).for_sampled_children(self._tracer) if hasattr(provider, "sampler") \
            else self._tracer  # under a sampled span of this process: the sampler's answer is known (sampling.py)
        self._injection = traceparent.Injection()
        self._attributes: dict[str, dict] = {}  # per method: the span's attributes at creation (copied by the SDK)

    def _attributes_of(self, method: str) -> dict:
        found = self._attributes.get(method)
        if found is None:
            service, name = method.lstrip("/").split("/", 1)
            found = self._attributes[method] = {RPC_SYSTEM: "grpc", RPC_GRPC_STATUS_CODE: _OK, RPC_METHOD: name,
                                                RPC_SERVICE: service}
        return found

    def call(self, method: str, invoke, under_sampled: bool = False):
        """invoke(metadata pairs carrying the span's context) in a client span named method (under_sampled: the
        current span is this process's and sampled); its outcome (a done Future or grpc's call) returned; an
        exception raised by invoke is recorded and raised again."""
        if not is_instrumentation_enabled():
            return invoke(())
        span = (self._children if under_sampled else self._tracer).start_span(
            method, kind=trace.SpanKind.CLIENT, attributes=self._attributes_of(method), record_exception=False,
            set_status_on_exception=False)
        token = context.attach(trace.set_span_in_context(span))
        try:
            outcome = invoke(self._injection.metadata(span.get_span_context()))
        except Exception as error:  # the instrumentation's handling of a call that raised
            if isinstance(error, grpc.RpcError):
                span.set_attribute(RPC_GRPC_STATUS_CODE, error.code().value[0])
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
            span.record_exception(error)
            span.end()
            raise
        finally:
            context.detach(token)
        if isinstance(outcome, grpc.Future):
            outcome.add_done_callback(lambda answered: _ended(span, answered))
        else:
            span.end()
        return outcome


def _ended(span, answered: grpc.Future) -> None:
    """The span ended with the answer's code, as the instrumentation's done-callback ends it."""
    code = answered.code()
    if code != grpc.StatusCode.OK:
        span.set_attribute(RPC_GRPC_STATUS_CODE, code.value[0])
        span.set_status(Status(StatusCode.ERROR))
    span.end()

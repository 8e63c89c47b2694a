"""The edge's client span (client_spans.py) is the gRPC instrumentation's: compared on real calls to a real server."""
from __future__ import annotations

from concurrent import futures

import grpc
import pytest
from opentelemetry.instrumentation.grpc import client_interceptor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ventanilla.adapters.grpc_errors import abort_with
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.observability.grpc_client import CallDetails, ObservedChannel
from ventanilla.observability.grpc_interceptors import intercept_channel
from ventanilla.observability.metrics import Metrics
from ventanilla.observability.tracing import Tracing

pytestmark = pytest.mark.integration


def _say(request, context):
    return b"ok:" + request


def _fail(request, context):
    abort_with(context, DomainError(ErrorKey.FACTURA_REPETIDA))


class _Info:  # what the instrumentation reads of a call (grpcext's client call details)
    def __init__(self, method: str, timeout):
        self.full_method, self.timeout = method, timeout


class _Instrumented(grpc.UnaryUnaryClientInterceptor):
    """The instrumentation's client interceptor around a channel's blocking call, as the edge ran it before
    client_spans.py (its continuation's outcome a done Future, a failure grpc's own RpcError as one)."""

    def __init__(self, provider):
        self._spans = client_interceptor(tracer_provider=provider)

    def intercept_unary_unary(self, continuation, details, request):
        def invoker(request_, metadata):
            return continuation(CallDetails(details.method, details.timeout, metadata, None, None, None), request_)
        return self._spans.intercept_unary(request, details.metadata, _Info(details.method, details.timeout), invoker)


@pytest.fixture
def server():
    served = grpc.server(futures.ThreadPoolExecutor(2))
    served.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Echo", {
        "Say": grpc.unary_unary_rpc_method_handler(_say), "Fail": grpc.unary_unary_rpc_method_handler(_fail)})])
    port = served.add_insecure_port("127.0.0.1:0")
    served.start()
    yield f"127.0.0.1:{port}"
    served.stop(None)


def _shape(span, root) -> dict:
    """Everything a client span shows but its ids and times."""
    return {"name": span.name, "kind": span.kind, "attributes": dict(span.attributes),
            "status": (span.status.status_code, span.status.description), "events": [e.name for e in span.events],
            "scope": (span.instrumentation_scope.name, span.instrumentation_scope.version,
                      span.instrumentation_scope.schema_url),
            "parent_is_root": span.parent.span_id == root.get_span_context().span_id,
            "trace_is_root's": span.context.trace_id == root.get_span_context().trace_id}


def _calls(channel, tracing: Tracing) -> list:
    """A call answered and a failed one inside a sampled request's span; the root span."""
    with tracing.tracer("edge").start_as_current_span("POST /ws") as root:
        assert channel.unary_unary("/test.Echo/Say")(b"x", timeout=10) == b"ok:x"
        with pytest.raises(grpc.RpcError) as failed:
            channel.unary_unary("/test.Echo/Fail")(b"y", timeout=10)
        assert failed.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    return root


def test_a_client_span_is_the_instrumentations_for_an_answered_and_a_failed_call(server):
    mine_out, theirs_out = InMemorySpanExporter(), InMemorySpanExporter()
    mine_tracing, theirs_tracing = Tracing.to("soap-edge", mine_out), Tracing.to("soap-edge", theirs_out)
    mine = intercept_channel(grpc.insecure_channel(server), Metrics("soap-edge"), mine_tracing)
    theirs = ObservedChannel(grpc.insecure_channel(server), _Instrumented(theirs_tracing.provider))
    try:
        mine_root, theirs_root = _calls(mine, mine_tracing), _calls(theirs, theirs_tracing)
    finally:
        mine.close()
        theirs.close()
    found = {name: [_shape(s, root) for s in out.get_finished_spans() if s.kind.name == "CLIENT"]
             for name, out, root in (("mine", mine_out, mine_root), ("theirs", theirs_out, theirs_root))}
    assert len(found["mine"]) == 2 and found["mine"] == found["theirs"]
    answered, failed = found["mine"]
    assert answered["attributes"]["rpc.grpc.status_code"] == 0 and failed["attributes"]["rpc.grpc.status_code"] == 9


def test_a_health_check_in_a_sampled_trace_makes_no_client_span(server):
    """As the instrumentation's filter (grpc_spans.not_health): the probes would fill traces with nothing."""
    exporter = InMemorySpanExporter()
    tracing = Tracing.to("soap-edge", exporter)
    channel = intercept_channel(grpc.insecure_channel(server), Metrics("soap-edge"), tracing)
    try:
        with tracing.tracer("edge").start_as_current_span("POST /ws"):
            channel.unary_unary("/test.Echo/Say")(b"x", timeout=10)
            with pytest.raises(grpc.RpcError):  # not served here: what matters is that no span is made
                channel.unary_unary("/grpc.health.v1.Health/Check")(b"", timeout=10)
    finally:
        channel.close()
    assert [s.name for s in exporter.get_finished_spans() if s.kind.name == "CLIENT"] == ["/test.Echo/Say"]

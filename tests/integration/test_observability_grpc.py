"""Request id, traces and metrics across a real gRPC call through the interceptors every process will use."""
from __future__ import annotations

import json
import logging
from concurrent import futures

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

from ventanilla.adapters.grpc_errors import abort_with
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.logs import JsonFormatter
from ventanilla.observability import requestid
from ventanilla.observability.grpc_interceptors import intercept_channel, server_interceptors
from ventanilla.observability.metrics import Metrics
from ventanilla.observability.tracing import Tracing

pytestmark = pytest.mark.integration
log = logging.getLogger("test.observability.handler")


class Lines(logging.Handler):
    """JSON lines as the status service would write them."""

    def __init__(self):
        super().__init__()
        self.setFormatter(JsonFormatter("status"))
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


def _say(request, context):
    log.info("handled")
    return b"ok:" + request


def _gather(requests, context):
    log.info("handled")
    return b"ok:" + b"".join(requests)


def _fail(request, context):
    abort_with(context, DomainError(ErrorKey.FACTURA_REPETIDA))


def _crash(request, context):
    raise RuntimeError("boom")


@pytest.fixture
def lines():
    handler = Lines()
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield handler.lines
    log.removeHandler(handler)


def _serve(tracing: Tracing, metrics: Metrics):
    server = grpc.server(futures.ThreadPoolExecutor(4), interceptors=server_interceptors(metrics, tracing))
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Echo", {
        "Say": grpc.unary_unary_rpc_method_handler(_say), "Fail": grpc.unary_unary_rpc_method_handler(_fail),
        "Crash": grpc.unary_unary_rpc_method_handler(_crash),
        "Gather": grpc.stream_unary_rpc_method_handler(_gather)})])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


@pytest.fixture
def traced():
    exporter = InMemorySpanExporter()
    client_tracing, server_tracing = Tracing.to("soap-edge", exporter), Tracing.to("status", exporter)
    client_metrics, server_metrics = Metrics("soap-edge"), Metrics("status")
    server, port = _serve(server_tracing, server_metrics)
    channel = intercept_channel(grpc.insecure_channel(f"127.0.0.1:{port}"), client_metrics, client_tracing)
    yield channel, exporter, client_tracing, client_metrics, server_metrics
    channel.close()
    server.stop(None)


def _code(metrics: Metrics, side: str, method: str, code: str) -> float | None:
    return metrics.registry.get_sample_value(f"grpc_{side}_handled_total", {
        "grpc_type": "UNARY", "grpc_service": "test.Echo", "grpc_method": method, "grpc_code": code})


def test_one_trace_and_one_request_id_from_the_caller_to_the_handler_log_line(traced, lines):
    channel, exporter, client_tracing, _, _ = traced
    with requestid.bound("rid-edge-1"), client_tracing.tracer("soap").start_as_current_span("enviarFactura") as root:
        assert channel.unary_unary("/test.Echo/Say")(b"x", timeout=10) == b"ok:x"
    spans = {s.kind.name: s for s in exporter.get_finished_spans() if s.name == "/test.Echo/Say"}
    client, server = spans["CLIENT"], spans["SERVER"]
    assert client.parent.span_id == root.get_span_context().span_id
    assert server.parent.span_id == client.context.span_id
    assert server.context.trace_id == root.get_span_context().trace_id
    (line,) = [l for l in lines if l["msg"] == "handled"]
    assert line["request_id"] == "rid-edge-1"
    assert line["trace_id"] == format(root.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(server.context.span_id, "016x")


def test_a_client_stream_carries_the_trace_and_the_request_id_and_is_counted(traced, lines):
    """enviarFactura reaches the registry as a client stream (SubmitInvoiceStream)."""
    channel, exporter, client_tracing, client_metrics, server_metrics = traced
    with requestid.bound("rid-stream"), client_tracing.tracer("soap").start_as_current_span("enviarFactura") as root:
        assert channel.stream_unary("/test.Echo/Gather")(iter([b"a", b"b", b"c"]), timeout=10) == b"ok:abc"
    spans = {s.kind.name: s for s in exporter.get_finished_spans() if s.name == "/test.Echo/Gather"}
    assert spans["CLIENT"].parent.span_id == root.get_span_context().span_id
    assert spans["SERVER"].parent.span_id == spans["CLIENT"].context.span_id
    (line,) = [l for l in lines if l["msg"] == "handled"]
    assert line["request_id"] == "rid-stream"
    assert line["trace_id"] == format(root.get_span_context().trace_id, "032x")
    for metrics, side in ((server_metrics, "server"), (client_metrics, "client")):
        assert metrics.registry.get_sample_value(f"grpc_{side}_handled_total", {
            "grpc_type": "CLIENT_STREAMING", "grpc_service": "test.Echo", "grpc_method": "Gather",
            "grpc_code": "OK"}) == 1
    with pytest.raises(grpc.RpcError):  # a failed one is counted by its code (what the alerts on backends read)
        channel.stream_unary("/test.Echo/Scatter")(iter([b"a"]), timeout=10)
    assert client_metrics.registry.get_sample_value("grpc_client_handled_total", {
        "grpc_type": "CLIENT_STREAMING", "grpc_service": "test.Echo", "grpc_method": "Scatter",
        "grpc_code": "UNIMPLEMENTED"}) == 1


def test_codes_and_latencies_are_counted_on_both_sides(traced):
    channel, _, _, client_metrics, server_metrics = traced
    channel.unary_unary("/test.Echo/Say")(b"x", timeout=10)
    for method, code in (("Fail", "FAILED_PRECONDITION"), ("Crash", "UNKNOWN")):
        with pytest.raises(grpc.RpcError) as failed:
            channel.unary_unary(f"/test.Echo/{method}")(b"x", timeout=10)
        assert failed.value.code().name == code
    for metrics, side in ((server_metrics, "server"), (client_metrics, "client")):
        assert _code(metrics, side, "Say", "OK") == 1
        assert _code(metrics, side, "Fail", "FAILED_PRECONDITION") == 1
        assert _code(metrics, side, "Crash", "UNKNOWN") == 1
        assert metrics.registry.get_sample_value(f"grpc_{side}_handling_seconds_count", {
            "grpc_type": "UNARY", "grpc_service": "test.Echo", "grpc_method": "Say"}) == 1


def test_without_tracing_the_request_id_still_travels_and_no_trace_id_is_invented(lines):
    server, port = _serve(Tracing.off(), Metrics("registry"))
    channel = intercept_channel(grpc.insecure_channel(f"127.0.0.1:{port}"), Metrics("soap-edge"), Tracing.off())
    try:
        with requestid.bound("rid-2"):
            channel.unary_unary("/test.Echo/Say")(b"y", timeout=10)
        channel.unary_unary("/test.Echo/Say")(b"z", timeout=10)  # no id: none is made up downstream
    finally:
        channel.close()
        server.stop(None)
    first, second = [l for l in lines if l["msg"] == "handled"]
    assert first["request_id"] == "rid-2" and "trace_id" not in first
    assert "request_id" not in second


def test_an_insane_request_id_in_metadata_is_ignored(lines):
    server, port = _serve(Tracing.off(), Metrics("registry"))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        insane = ((requestid.METADATA_KEY, "bad id; <script>"),)
        channel.unary_unary("/test.Echo/Say")(b"y", timeout=10, metadata=insane)
    finally:
        channel.close()
        server.stop(None)
    assert "request_id" not in [l for l in lines if l["msg"] == "handled"][0]


def test_an_unsampled_trace_reaches_the_callee_without_client_spans_and_is_not_sampled_there(lines):
    exporter = InMemorySpanExporter()
    server_provider = TracerProvider(sampler=ParentBased(ALWAYS_ON))  # samples all unless told otherwise
    server_provider.add_span_processor(SimpleSpanProcessor(exporter))
    client_provider = TracerProvider(sampler=ALWAYS_OFF)
    client_provider.add_span_processor(SimpleSpanProcessor(exporter))
    server, port = _serve(Tracing(server_provider, True), Metrics("status"))
    channel = intercept_channel(grpc.insecure_channel(f"127.0.0.1:{port}"), Metrics("soap-edge"),
                                Tracing(client_provider, True))
    try:
        with client_provider.get_tracer("edge").start_as_current_span("POST /ws") as root:
            assert channel.unary_unary("/test.Echo/Say")(b"u", timeout=10) == b"ok:u"
    finally:
        channel.close()
        server.stop(None)
    assert not root.is_recording() and exporter.get_finished_spans() == ()
    (line,) = [l for l in lines if l["msg"] == "handled"]
    assert line["trace_id"] == format(root.get_span_context().trace_id, "032x")


def test_an_unsampled_client_stream_has_its_trace_current_in_the_handler_and_exports_nothing(lines):
    """A call the callee's sampler drops gets no span object from the SDK, yet its handler logs the caller's trace."""
    exporter = InMemorySpanExporter()
    server_tracing = Tracing.to("registry", exporter)  # ParentBased(ALWAYS_ON): follows the caller's decision
    client_provider = TracerProvider(sampler=ALWAYS_OFF)
    client_provider.add_span_processor(SimpleSpanProcessor(exporter))
    server, port = _serve(server_tracing, Metrics("registry"))
    channel = intercept_channel(grpc.insecure_channel(f"127.0.0.1:{port}"), Metrics("soap-edge"),
                                Tracing(client_provider, True))
    try:
        with requestid.bound("rid-unsampled"), client_provider.get_tracer("edge").start_as_current_span("POST") as root:
            assert channel.stream_unary("/test.Echo/Gather")(iter([b"a", b"b"]), timeout=10) == b"ok:ab"
    finally:
        channel.close()
        server.stop(None)
    assert exporter.get_finished_spans() == ()
    (line,) = [l for l in lines if l["msg"] == "handled"]
    assert line["trace_id"] == format(root.get_span_context().trace_id, "032x") and line["request_id"] == "rid-unsampled"
    assert line["span_id"] != format(root.get_span_context().span_id, "016x")  # a span of its own, as the SDK's


def test_blocking_calls_skip_grpcs_interceptor_machinery_and_futures_keep_it(traced, lines, monkeypatch):
    """Blocking unary and client-streaming calls are metered around the channel's own multicallable (no
    grpc.intercept_channel layer per call); futures still go through it; a failure keeps its code and details."""
    channel, exporter, client_tracing, client_metrics, _ = traced
    from grpc import _interceptor  # noqa: PLC0415 - grpc's interceptor machinery, to prove it is not crossed

    def crossed(*_args, **_kwargs):
        raise AssertionError("grpc.intercept_channel's machinery was crossed")
    for multicallable in (_interceptor._UnaryUnaryMultiCallable, _interceptor._StreamUnaryMultiCallable):
        monkeypatch.setattr(multicallable, "__call__", crossed)
        monkeypatch.setattr(multicallable, "_with_call", crossed)
    with requestid.bound("rid-direct"), client_tracing.tracer("soap").start_as_current_span("consultar") as root:
        assert channel.unary_unary("/test.Echo/Say")(b"d", timeout=10) == b"ok:d"
        assert channel.stream_unary("/test.Echo/Gather")(iter([b"e"]), timeout=10) == b"ok:e"
        with pytest.raises(grpc.RpcError) as failed:
            channel.unary_unary("/test.Echo/Fail")(b"x", timeout=10)
    assert failed.value.code() is grpc.StatusCode.FAILED_PRECONDITION and failed.value.details()
    assert [l["request_id"] for l in lines if l["msg"] == "handled"] == ["rid-direct", "rid-direct"]
    clients = [s for s in exporter.get_finished_spans() if s.kind.name == "CLIENT"]
    assert len(clients) == 3 and {s.parent.span_id for s in clients} == {root.get_span_context().span_id}
    assert _code(client_metrics, "client", "Fail", "FAILED_PRECONDITION") == 1
    monkeypatch.undo()
    with requestid.bound("rid-future"):
        assert channel.unary_unary("/test.Echo/Say").future(b"f", timeout=10).result() == b"ok:f"
    assert lines[-1]["request_id"] == "rid-future"


def _internal(request, context):
    context.abort(grpc.StatusCode.INTERNAL, "store unreachable")


def _server_spans(interceptors, exporter: InMemorySpanExporter, client_tracing: Tracing) -> dict:
    """Each method's SERVER span from a real server built with interceptors, called within a sampled trace."""
    server = grpc.server(futures.ThreadPoolExecutor(2), interceptors=interceptors)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Echo", {
        "Say": grpc.unary_unary_rpc_method_handler(_say), "Fail": grpc.unary_unary_rpc_method_handler(_fail),
        "Crash": grpc.unary_unary_rpc_method_handler(_crash), "Internal": grpc.unary_unary_rpc_method_handler(_internal),
        "Gather": grpc.stream_unary_rpc_method_handler(_gather)})])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = intercept_channel(grpc.insecure_channel(f"127.0.0.1:{port}"), Metrics("soap-edge"), client_tracing)
    try:
        with client_tracing.tracer("soap").start_as_current_span("consultar"):
            channel.unary_unary("/test.Echo/Say")(b"s", timeout=10)
            channel.stream_unary("/test.Echo/Gather")(iter([b"g"]), timeout=10)
            for failing in ("Fail", "Crash", "Internal"):
                with pytest.raises(grpc.RpcError):
                    channel.unary_unary(f"/test.Echo/{failing}")(b"x", timeout=10)
    finally:
        channel.close()
        server.stop(None)
    return {s.name: s for s in exporter.get_finished_spans() if s.kind.name == "SERVER"}


def test_a_kept_calls_lean_server_span_is_the_instrumentations_span(lines):
    """A sampled call's span, started whole in the handler's thread (grpc_spans.py), has the name, kind, scope,
    attributes, status and parent OpenTelemetry's gRPC server interceptor gives it; each exception once."""
    from opentelemetry.instrumentation.grpc import server_interceptor

    from ventanilla.observability.grpc_spans import not_health

    found = {}
    for who in ("ours", "instrumentation"):
        exporter = InMemorySpanExporter()
        client_tracing, server_tracing = Tracing.to("soap-edge", exporter), Tracing.to("status", exporter)
        interceptors = (server_interceptors(Metrics("status"), server_tracing) if who == "ours" else
                        [server_interceptor(tracer_provider=server_tracing.provider, filter_=not_health),
                         *server_interceptors(Metrics("status"), Tracing.off())])
        found[who] = _server_spans(interceptors, exporter, client_tracing)
        clients = {s.name: s for s in exporter.get_finished_spans() if s.kind.name == "CLIENT"}
        for name, span in found[who].items():  # a child of its caller's client span, in the caller's trace
            assert span.parent.span_id == clients[name].context.span_id and span.parent.is_remote
            assert span.context.trace_id == clients[name].context.trace_id
    ours, theirs = found["ours"], found["instrumentation"]
    assert set(ours) == set(theirs) == {f"/test.Echo/{m}" for m in ("Say", "Gather", "Fail", "Crash", "Internal")}
    for name in ours:
        mine, instrumented = dict(ours[name].attributes), dict(theirs[name].attributes)
        assert mine.pop("net.peer.port").isdigit() and instrumented.pop("net.peer.port").isdigit()  # two connections
        assert mine == instrumented and mine["net.peer.name"] == "localhost", name
        assert (ours[name].status.status_code, ours[name].status.description) == (
            theirs[name].status.status_code, theirs[name].status.description), name
        assert ours[name].instrumentation_scope == theirs[name].instrumentation_scope
    assert ours["/test.Echo/Internal"].status.status_code.name == "ERROR"
    assert [e.attributes["exception.type"] for e in ours["/test.Echo/Crash"].events] == ["RuntimeError"]
    assert {e.name for e in theirs["/test.Echo/Crash"].events} == {"exception"}  # theirs: twice (use_span too)
    assert all(l["span_id"] in {format(s.context.span_id, "016x") for s in ours.values()}
               for l in lines[:2] if l["msg"] == "handled")


def test_a_call_without_any_trace_context_is_a_root_the_sampler_decides(lines):
    """No traceparent at all: a root span kept by an always-on sampler, none under always-off (the SDK's word)."""
    for sampler, spans in ((ALWAYS_ON, 1), (ALWAYS_OFF, 0)):
        exporter = InMemorySpanExporter()
        provider = TracerProvider(sampler=sampler)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        server, port = _serve(Tracing(provider, True), Metrics("status"))
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        try:
            assert channel.unary_unary("/test.Echo/Say")(b"r", timeout=10) == b"ok:r"
        finally:
            channel.close()
            server.stop(None)
        assert len(exporter.get_finished_spans()) == spans
        if spans:
            (root,) = exporter.get_finished_spans()
            assert root.parent is None and root.kind.name == "SERVER"
            assert lines[-1]["span_id"] == format(root.context.span_id, "016x")


def test_an_unsampled_call_starts_no_span_and_a_sampled_one_exactly_one(lines, monkeypatch):
    """The decision comes first: a call in an unsampled trace never reaches the tracer (no start_span, nothing
    exported) yet logs its caller's trace; a call in a sampled trace starts one SERVER span, its caller's child."""
    from ventanilla.observability.grpc_spans import SampledServerSpans

    started = []
    original = SampledServerSpans.started
    monkeypatch.setattr(SampledServerSpans, "started", lambda self, *a: started.append(a) or original(self, *a))
    exporter = InMemorySpanExporter()
    server, port = _serve(Tracing.to("status", exporter), Metrics("status"))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0"
    try:
        assert channel.unary_unary("/test.Echo/Say")(b"u", timeout=10, metadata=(("traceparent", caller + "0"),))
        assert started == [] and exporter.get_finished_spans() == ()
        assert lines[-1]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert channel.unary_unary("/test.Echo/Say")(b"s", timeout=10, metadata=(("traceparent", caller + "1"),))
    finally:
        channel.close()
        server.stop(None)
    (span,) = exporter.get_finished_spans()
    assert len(started) == 1 and span.kind.name == "SERVER" and span.parent.is_remote
    assert (span.context.trace_id, span.parent.span_id) == (0x4bf92f3577b34da6a3ce929d0e0e4736, 0x00f067aa0ba902b7)
    assert lines[-1]["span_id"] == format(span.context.span_id, "016x")

"""A dropped span alone in its context: the same trace context as the SDK's path, written and read without it."""
from __future__ import annotations

import random
from collections import namedtuple

from opentelemetry import baggage, context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, TraceIdRatioBased
from opentelemetry.trace.span import TraceState

from ventanilla.observability import traceparent
from ventanilla.observability.grpc_client import CallDetails
from ventanilla.observability.grpc_interceptors import RequestIdClientInterceptor
from ventanilla.observability.grpc_spans import SampledServerSpans
from ventanilla.observability.client_spans import ClientSpans
from ventanilla.observability.sampling import ReusedIds
from ventanilla.observability.unsampled import Unsampled

from tests.unit.observability.test_traceparent import _header, _hex

Details = namedtuple("Details", "method invocation_metadata")


def _injected(current: Context) -> tuple:
    """What the global propagator writes with current made current."""
    token = context.attach(current)
    try:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return tuple(carrier.items())
    finally:
        context.detach(token)


def test_an_unsampled_context_writes_what_the_propagator_writes_and_holds_its_span_alone():
    rng = random.Random(16)
    for n in range(500):
        state = TraceState([("vendor", _hex(rng, 6))]) if n % 5 == 0 else None
        span = trace.NonRecordingSpan(trace.SpanContext(rng.getrandbits(128) or 1, rng.getrandbits(64) or 1, False,
                                                        trace.TraceFlags(rng.choice([0, 2])), state))
        current = Unsampled.of(span)
        assert current.metadata() == _injected(current) and current.metadata() is current.metadata()
        assert current == trace.set_span_in_context(span, Context()) and trace.get_current_span(current) is span
    with_baggage = baggage.set_baggage("tenant", "a", current)  # anything set on it: a plain context again
    assert type(with_baggage) is Context and dict(_injected(with_baggage))["baggage"] == "tenant=a"


def test_the_usual_unsampled_header_is_read_as_parsed_reads_it():
    rng = random.Random(17)
    headers = [_header(rng) for _ in range(3000)]
    headers += [f"00-{_hex(rng, 32)}-{_hex(rng, 16)}-00" for _ in range(500)]
    headers += ["00-" + "0" * 32 + "-b7ad6b7169203331-00", "00-0af7651916cd43dd8448eb211c80319c-" + "0" * 16 + "-00"]
    read = 0
    for header in headers:
        trace_id = traceparent.unsampled(header)
        if trace_id is None:
            continue
        read += 1
        assert traceparent.parsed(header)[0::2] == (trace_id, 0), header
    assert read > 500  # the random valid ones with flags 00, and the 500 written as the propagator writes


def _provider(sampler) -> TracerProvider:
    return TracerProvider(sampler=sampler, id_generator=ReusedIds())


def test_a_server_call_under_an_unsampled_caller_gets_the_context_decided_would_attach():
    spans = SampledServerSpans(_provider(ParentBased(TraceIdRatioBased(0.1))))
    rng = random.Random(18)
    for _ in range(300):
        header = f"00-{_hex(rng, 32)}-{_hex(rng, 16)}-00"
        metadata = (("traceparent", header), ("x-request-id", "r"), ("user-agent", "grpc-python"))
        current = spans.unsampled(metadata)
        span, parent = spans.decided(metadata, "/v1.Status/Get")
        mine, theirs = trace.get_current_span(current).get_span_context(), span.get_span_context()
        assert type(current) is Unsampled and dict(parent) == {} and not trace.get_current_span(current).is_recording()
        assert (mine.trace_id, mine.trace_flags, mine.trace_state, mine.is_remote) == (
            theirs.trace_id, theirs.trace_flags, theirs.trace_state, theirs.is_remote)
        assert mine.trace_id == int(header[3:35], 16) and mine.span_id != int(header[36:52], 16)
    usual = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    for metadata in [(("traceparent", usual[:-1] + "1"),), (("traceparent", usual[:-1] + "2"),),
                     (("traceparent", usual), ("tracestate", "vendor=x")), (("traceparent", usual), ("baggage", "a=b")),
                     (("traceparent", " " + usual),), (("traceparent", usual.upper()),), (("x-request-id", "r"),), ()]:
        assert spans.unsampled(metadata) is None, metadata  # left to decided()
    assert SampledServerSpans(_provider(ParentBased(ALWAYS_ON, remote_parent_not_sampled=ALWAYS_ON))).unsampled(
        (("traceparent", usual),)) is None  # a sampler that may keep it is asked


def test_a_client_call_under_an_unsampled_context_sends_its_traceparent_and_follows_what_is_set_on_it():
    provider = _provider(ParentBased(TraceIdRatioBased(0.0)))
    calls = RequestIdClientInterceptor().with_spans(ClientSpans(provider))
    span = trace.NonRecordingSpan(trace.SpanContext(0x0af7651916cd43dd8448eb211c80319c, 0xb7ad6b7169203331, False,
                                                    trace.TraceFlags(0)))
    sent = []

    def call_under(current: Context) -> dict:
        token = context.attach(current)
        try:
            calls._call(lambda details, _request: sent.append(details.metadata), CallDetails(
                "/v1.Status/Get", None, (("x-request-id", "r"),), None, None, None), b"")
        finally:
            context.detach(token)
        return dict(sent[-1])

    unsampled = Unsampled.of(span)
    assert call_under(unsampled) == {"x-request-id": "r", **dict(_injected(unsampled))}
    assert call_under(unsampled)["traceparent"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    assert any(pair is unsampled.metadata()[0] for pair in sent[-1])  # as made once, not written again
    with_baggage = baggage.set_baggage("tenant", "a", unsampled)
    assert call_under(with_baggage) == {"x-request-id": "r", **dict(_injected(with_baggage))}
    assert call_under(with_baggage)["baggage"] == "tenant=a"

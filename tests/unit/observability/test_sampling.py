"""Spans decided before they are made: the same decisions and ids as the SDK's start_span, without it."""
from __future__ import annotations

import random
import threading

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, TraceIdRatioBased
from opentelemetry.trace.span import TraceState

from ventanilla.observability.sampling import Decider, ReusedIds

SERVER = trace.SpanKind.SERVER


def _parent(flags: str, state: str = "") -> Context:
    carrier = {"traceparent": f"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-{flags}"}
    return propagate.extract({**carrier, **({"tracestate": state} if state else {})})


def test_a_dropped_span_is_the_one_the_sdk_would_start():
    provider = TracerProvider(sampler=ParentBased(ALWAYS_ON), id_generator=ReusedIds())
    parent = _parent("00", "vendor=x")
    ours = Decider(provider).dropped(parent, "/v1.Status/Get", SERVER)
    theirs = provider.get_tracer("t").start_span("/v1.Status/Get", parent, kind=SERVER)
    assert not ours.is_recording() and not theirs.is_recording()
    mine, reference = ours.get_span_context(), theirs.get_span_context()
    assert (mine.trace_id, mine.trace_flags, mine.trace_state, mine.is_remote) == (
        reference.trace_id, reference.trace_flags, reference.trace_state, reference.is_remote)
    assert mine.trace_id == 0x0af7651916cd43dd8448eb211c80319c and mine.trace_state == TraceState([("vendor", "x")])
    assert mine.span_id not in (0, 0xb7ad6b7169203331)


def test_a_kept_call_is_left_to_the_sdk():
    provider = TracerProvider(sampler=ParentBased(ALWAYS_ON), id_generator=ReusedIds())
    assert Decider(provider).dropped(_parent("01"), "/v1.Status/Get", SERVER) is None


def test_roots_are_decided_once_on_the_trace_id_they_then_carry():
    ratio = TraceIdRatioBased(0.3)
    provider = TracerProvider(sampler=ParentBased(ratio), id_generator=ReusedIds())
    decider, tracer, kept = Decider(provider), provider.get_tracer("t"), 0
    for _ in range(400):
        span = decider.dropped(Context(), "POST", SERVER)
        if span is None:
            span, kept = tracer.start_span("POST", Context(), kind=SERVER), kept + 1
            assert span.is_recording() and span.get_span_context().trace_flags.sampled
        trace_id = span.get_span_context().trace_id
        assert span.is_recording() == (trace_id & 0xFFFFFFFFFFFFFFFF < ratio.bound)  # the ratio's own rule
    assert 60 < kept < 180  # about 30 % of 400


def test_a_reused_trace_id_is_given_once_and_only_to_its_thread():
    ids = ReusedIds()
    ids.reuse(42)
    elsewhere = []
    thread = threading.Thread(target=lambda: elsewhere.append(ids.generate_trace_id()))
    thread.start()
    thread.join()
    assert elsewhere[0] != 42 and ids.generate_trace_id() == 42 and ids.generate_trace_id() != 42


def test_without_reusable_ids_a_root_is_left_to_the_sdk():
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.0)))  # the SDK's own random ids
    assert Decider(provider).dropped(Context(), "POST", SERVER) is None


def test_a_gRPC_call_dropped_by_the_sampler_keeps_its_callers_trace_and_baggage():
    from collections import namedtuple

    from opentelemetry import baggage

    from ventanilla.observability.grpc_spans import SampledServerSpans

    details = namedtuple("Details", "method invocation_metadata")
    spans = SampledServerSpans(TracerProvider(sampler=ParentBased(ALWAYS_ON), id_generator=ReusedIds()))
    traceparent = ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
    span, parent = spans.dropped(details("/v1.Status/Get", (traceparent, ("x-request-id", "r"))))
    assert span.get_span_context().trace_id == 0x0af7651916cd43dd8448eb211c80319c and not span.is_recording()
    _span, parent = spans.dropped(details("/v1.Status/Get", (traceparent, ("baggage", "tenant=a"))))
    assert baggage.get_baggage("tenant", parent) == "a"  # the other propagators run when their fields came
    assert spans.dropped(details("/v1.Status/Get", (("traceparent", traceparent[1][:-1] + "1"),))) is None
    assert spans.dropped(details("/grpc.health.v1.Health/Check", (traceparent,))) is None
    assert spans.dropped(details("/v1.Status/Get", ())) is None  # no caller's context: started() makes its span


def _samplers():
    from opentelemetry.sdk.trace.sampling import (DEFAULT_OFF, DEFAULT_ON, ParentBasedTraceIdRatio,
                                                  _get_from_env_or_default)
    return [ParentBasedTraceIdRatio(0.1), ParentBased(TraceIdRatioBased(0.5)), TraceIdRatioBased(0.1),
            TraceIdRatioBased(0.0), TraceIdRatioBased(1.0), ALWAYS_ON, ALWAYS_OFF, DEFAULT_ON, DEFAULT_OFF,
            ParentBased(ALWAYS_ON, remote_parent_not_sampled=ALWAYS_ON), _get_from_env_or_default()]


def test_roots_decided_by_the_samplers_rule_are_the_sdks_decisions_for_the_same_trace_ids():
    for sampler in _samplers():
        ids = ReusedIds()
        provider = TracerProvider(sampler=sampler, id_generator=ids)
        decider, tracer = Decider(provider), provider.get_tracer("t")
        for _ in range(300):
            span = decider.root("POST", SERVER)
            if span is None:  # kept: the SDK starts it on the decided id, and keeps it
                span = tracer.start_span("POST", Context(), kind=SERVER)
                assert span.is_recording(), sampler.get_description()
            mine = span.get_span_context()
            ids.reuse(mine.trace_id)  # the SDK asked about the same trace id
            reference = tracer.start_span("POST", Context(), kind=SERVER).get_span_context()
            assert (mine.trace_id, mine.trace_flags, mine.trace_state, mine.is_remote) == (
                reference.trace_id, reference.trace_flags, reference.trace_state, reference.is_remote)
            assert span.is_recording() == reference.trace_flags.sampled and mine.span_id != 0


def test_spans_under_unsampled_callers_are_the_sdks_or_left_to_it():
    rng = random.Random(14)
    for sampler in _samplers():
        provider = TracerProvider(sampler=sampler, id_generator=ReusedIds())
        decider, tracer, decided = Decider(provider), provider.get_tracer("t"), 0
        for n in range(200):
            trace_id, flags = rng.getrandbits(128) or 1, rng.choice([0, 1, 2, 3])
            state = TraceState([("vendor", "x")]) if n % 3 == 0 else TraceState()
            caller = trace.SpanContext(trace_id, rng.getrandbits(64) or 1, True, trace.TraceFlags(flags), state)
            parent = trace.set_span_in_context(trace.NonRecordingSpan(caller), Context())
            ours = decider.under_unsampled(trace_id, flags, state)
            theirs = tracer.start_span("/v1.Status/Get", parent, kind=SERVER)
            if ours is None:  # not decided here: a sampled caller, or a sampler that may keep it
                assert theirs.is_recording() or not (isinstance(sampler, ParentBased)
                                                     and sampler._remote_parent_not_sampled is ALWAYS_OFF)
                continue
            assert not theirs.is_recording() and not flags & 1, sampler.get_description()
            decided += 1
            mine, reference = ours.get_span_context(), theirs.get_span_context()
            assert (mine.trace_id, mine.trace_flags, mine.trace_state, mine.is_remote) == (
                reference.trace_id, reference.trace_flags, reference.trace_state, reference.is_remote)
        parent_based = isinstance(sampler, ParentBased) and sampler._remote_parent_not_sampled is ALWAYS_OFF
        assert (decided > 50) == parent_based, sampler.get_description()  # the parent-based ones, here, directly


def _shape(span) -> tuple:
    context = span.get_span_context()
    return (span.is_recording(), context.trace_id, context.trace_flags, context.trace_state,
            dict(getattr(span, "attributes", None) or {}))


def test_a_span_whose_keeping_is_known_is_started_as_the_sampler_would_start_it():
    """Roots kept by the rule and children of a local sampled span: the unasked tracer's span equals the one the
    provider's own tracer starts on the same trace id and parent (decision, flags, trace state, attributes)."""
    samplers = [ParentBased(TraceIdRatioBased(0.3)), ALWAYS_ON, ParentBased(ALWAYS_ON)]
    for sampler in samplers:
        provider = TracerProvider(sampler=sampler, id_generator=ReusedIds())
        decider, tracer = Decider(provider), provider.get_tracer("t")
        roots, children = decider.for_kept_roots(tracer), decider.for_sampled_children(tracer)
        assert roots is not tracer and children is not tracer and roots.sampler is ALWAYS_ON
        kept = 0
        for _ in range(300):
            if decider.root("POST", SERVER) is not None:
                continue
            mine = roots.start_span("POST", Context(), kind=SERVER, attributes={"http.method": "POST"})
            trace_id = mine.get_span_context().trace_id
            provider.id_generator.reuse(trace_id)
            theirs = tracer.start_span("POST", Context(), kind=SERVER, attributes={"http.method": "POST"})
            assert _shape(mine) == _shape(theirs) and mine.is_recording()
            kept += 1
            under = trace.set_span_in_context(mine)
            assert _shape(children.start_span("/v1.S/M", under, attributes={"rpc.system": "grpc"})) == _shape(
                tracer.start_span("/v1.S/M", under, attributes={"rpc.system": "grpc"}))
        assert kept > 0
        caller = _parent("01", "vendor=x")  # a remote sampled caller with a trace state: the kept server span's child
        server = tracer.start_span("/v1.S/M", caller, kind=SERVER)
        under = trace.set_span_in_context(server)
        assert _shape(children.start_span("c", under)) == _shape(tracer.start_span("c", under))
        assert children.start_span("c", under).get_span_context().trace_state == TraceState([("vendor", "x")])


def test_the_sampler_is_asked_again_when_its_answer_is_not_known():
    class Custom(TraceIdRatioBased):  # a sampler of its own: its rule may differ from the ratio's
        def should_sample(self, *args, **kwargs):
            return super().should_sample(*args, **kwargs)
    expected = [  # sampler, roots unasked, children of a local sampled span unasked
        (Custom(0.5), False, False), (ParentBased(Custom(0.5)), False, True),
        (ParentBased(ALWAYS_ON, local_parent_sampled=ALWAYS_OFF), True, False),
        (ParentBased(ALWAYS_ON, local_parent_sampled=Custom(1.0)), True, False),
        (TraceIdRatioBased(0.5), True, False), (ALWAYS_OFF, True, False), (ALWAYS_ON, True, True)]
    for sampler, roots, children in expected:
        provider = TracerProvider(sampler=sampler, id_generator=ReusedIds())
        decider, tracer = Decider(provider), provider.get_tracer("t")
        assert (decider.for_kept_roots(tracer) is not tracer, decider.for_sampled_children(tracer) is not tracer) == (
            roots, children), sampler.get_description()

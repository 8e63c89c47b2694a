"""The direct traceparent reading gives the context the W3C propagator's extract gives, header for header."""
from __future__ import annotations

import random

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ventanilla.observability import traceparent

HEX = "0123456789abcdef"


def _hex(rng: random.Random, n: int, alphabet: str = HEX) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _header(rng: random.Random) -> str:
    """A valid traceparent (half of them), or one broken in one of the ways the propagator checks for."""
    if rng.random() < 0.5:
        return f"{rng.choice(['00', '01', 'cc'])}-{_hex(rng, 32)}-{_hex(rng, 16)}-{rng.choice(['00', '01', 'ff'])}"
    version = rng.choice(["00", "00", "01", "ff", "cc", _hex(rng, 2)])
    trace_id = rng.choice([_hex(rng, 32), "0" * 32, _hex(rng, 31), _hex(rng, 32, HEX + "ABCDEF")])
    span_id = rng.choice([_hex(rng, 16), "0" * 16, _hex(rng, 17)])
    flags = rng.choice(["00", "01", _hex(rng, 2), "1", "0g"])
    tail = rng.choice(["", "", "-extra", "-", " ", "\t", "\n", "x", "-" + "a" * 600])
    head = rng.choice(["", "", " ", "\t ", "x"])
    sep = rng.choice(["-", "-", "-", "_"])
    return head + sep.join([version, trace_id, span_id, flags]) + tail


def test_the_direct_reading_matches_the_propagators_on_random_and_malformed_headers():
    rng, propagator = random.Random(14), TraceContextTextMapPropagator()
    headers = [_header(rng) for _ in range(3000)] + ["", " ", "00", "garbage", "00-" * 20]
    valid = 0
    for header in headers:
        expected, got = propagator.extract({"traceparent": header}), traceparent.extracted(header)
        assert list(got) == list(expected), header
        assert trace.get_current_span(got).get_span_context() == trace.get_current_span(expected).get_span_context()
        assert type(trace.get_current_span(got)) is type(trace.get_current_span(expected))
        valid += trace.get_current_span(got).get_span_context().is_valid
    assert 300 < valid < len(headers) - 300  # both kinds were tried


def _written(span_context: trace.SpanContext, extra=None) -> tuple:
    """What the configured propagators write with span_context's span current (and extra context values)."""
    from opentelemetry import context, propagate

    base = trace.set_span_in_context(trace.NonRecordingSpan(span_context), extra)
    token = context.attach(base)
    try:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return tuple(carrier.items()), traceparent.Injection().metadata(span_context)
    finally:
        context.detach(token)


def test_the_direct_writing_matches_the_default_propagators_inject():
    from opentelemetry.trace.span import TraceState

    rng = random.Random(15)
    for n in range(500):
        state = TraceState([("vendor", _hex(rng, 6)), ("other", "x")]) if n % 5 == 0 else None
        span = trace.SpanContext(rng.getrandbits(128) or 1, rng.getrandbits(64) or 1, False,
                                 trace.TraceFlags(rng.choice([0, 1, 2, 3])), state)
        expected, got = _written(span)
        assert got == expected and got[0][0] == "traceparent"


def test_with_baggage_or_other_propagators_the_propagator_itself_writes():
    from opentelemetry import baggage, propagate
    from opentelemetry.propagators.composite import CompositePropagator

    span = trace.SpanContext(0x0af7651916cd43dd8448eb211c80319c, 0xb7ad6b7169203331, False, trace.TraceFlags(0))
    expected, got = _written(span, baggage.set_baggage("tenant", "a"))
    assert got == expected and dict(got)["baggage"] == "tenant=a"
    default = propagate.get_global_textmap()
    propagate.set_global_textmap(CompositePropagator([TraceContextTextMapPropagator()]))  # e.g. OTEL_PROPAGATORS
    try:
        class Marked(TraceContextTextMapPropagator):
            def inject(self, carrier, context=None, setter=None):
                carrier["marked"] = "yes"
        propagate.set_global_textmap(Marked())
        assert traceparent.Injection().metadata(span) == (("marked", "yes"),)
    finally:
        propagate.set_global_textmap(default)

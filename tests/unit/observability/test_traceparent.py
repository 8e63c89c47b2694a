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

"""A W3C `traceparent` alone read into a context exactly as TraceContextTextMapPropagator.extract reads it (same
pattern and rules), without its getter, pattern-cache lookup and tracestate handling: a server's carrier usually holds
nothing else (tests/unit/observability/test_traceparent.py compares the two on random and malformed headers); and
written as the default propagators' inject writes it (compared there too)."""
from __future__ import annotations

import re

from opentelemetry import baggage, propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

FIELD = "traceparent"
_FORMAT = re.compile("^[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:(-.*)|[ \t]*)$")
_MAXIMUM_LENGTH = 512
_UNSAMPLED = re.compile("00-([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-00")  # the form W3C propagators write, flags 00
_NO_TRACE, _NO_SPAN = "0" * 32, "0" * 16


def parsed(header: str) -> tuple[int, int, int] | None:
    """The caller's trace id, span id and flags, as the propagator reads them; None when the header is not valid."""
    match = _FORMAT.search(header) if len(header) <= _MAXIMUM_LENGTH else None
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if trace_id == _NO_TRACE or span_id == _NO_SPAN or version == "ff" or (version == "00" and rest):
        return None
    return int(trace_id, 16), int(span_id, 16), int(flags, 16)


def unsampled(header: str) -> int | None:
    """The trace id of a traceparent in the form the W3C propagator writes for an unsampled trace (version 00, flags
    00, nothing around), which parsed() reads as (that id, the caller's span id, 0); None for any other header."""
    match = _UNSAMPLED.fullmatch(header)
    return (int(match[1], 16) or None) if match is not None else None


def extracted(header: str) -> Context:
    """The context holding the caller's span context (a fresh, empty one when the header is not a valid one)."""
    ids = parsed(header)
    return Context() if ids is None else context_of(ids)


def context_of(ids: tuple[int, int, int]) -> Context:
    """The context holding the remote caller's span context of parsed() ids."""
    caller = trace.SpanContext(ids[0], ids[1], True, trace.TraceFlags(ids[2]))
    return trace.set_span_in_context(trace.NonRecordingSpan(caller), Context())


def header(span: trace.SpanContext) -> str:
    """The traceparent TraceContextTextMapPropagator.inject writes for span (a valid span context)."""
    return f"00-{span.trace_id:032x}-{span.span_id:016x}-{span.trace_flags:02x}"


class Injection:
    """What `propagate.inject` writes for a span context made current (its `traceparent`, and `tracestate` when
    it has one), built directly while the global propagator is OpenTelemetry's default (W3C trace context, then W3C
    baggage) and no baggage is current; otherwise the propagator itself runs."""

    def __init__(self):
        self._checked, self._default = None, False

    def default(self) -> bool:
        """Whether the global propagator is OpenTelemetry's default (W3C trace context, then W3C baggage)."""
        textmap = propagate.get_global_textmap()
        if textmap is not self._checked:
            kinds = [type(p) for p in getattr(textmap, "_propagators", ())]
            self._checked = textmap
            self._default = type(textmap) is CompositePropagator and kinds == [TraceContextTextMapPropagator,
                                                                                 W3CBaggagePropagator]
        return self._default

    def metadata(self, span: trace.SpanContext, current: Context | None = None) -> tuple[tuple[str, str], ...]:
        """(key, value) pairs for the current context (current, when already looked up), whose span's context is
        span."""
        if self.default() and not baggage.get_all(current):
            if span.trace_state:
                return (FIELD, header(span)), ("tracestate", span.trace_state.to_header())
            return ((FIELD, header(span)),)
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return tuple(carrier.items())

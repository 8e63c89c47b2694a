"""A W3C `traceparent` alone read into a context exactly as TraceContextTextMapPropagator.extract reads it (same
pattern and rules), without its getter, pattern-cache lookup and tracestate handling: a server's carrier usually holds
nothing else (tests/unit/observability/test_traceparent.py compares the two on random and malformed headers)."""
from __future__ import annotations

import re

from opentelemetry import trace
from opentelemetry.context import Context

FIELD = "traceparent"
_FORMAT = re.compile("^[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:(-.*)|[ \t]*)$")
_MAXIMUM_LENGTH = 512
_NO_TRACE, _NO_SPAN = "0" * 32, "0" * 16


def extracted(header: str) -> Context:
    """The context holding the caller's span context (a fresh, empty one when the header is not a valid one)."""
    match = _FORMAT.search(header) if len(header) <= _MAXIMUM_LENGTH else None
    if match is None:
        return Context()
    version, trace_id, span_id, flags, rest = match.groups()
    if trace_id == _NO_TRACE or span_id == _NO_SPAN or version == "ff" or (version == "00" and rest):
        return Context()
    caller = trace.SpanContext(int(trace_id, 16), int(span_id, 16), True, trace.TraceFlags(int(flags, 16)))
    return trace.set_span_in_context(trace.NonRecordingSpan(caller), Context())

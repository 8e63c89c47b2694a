"""A dropped span of this process in a context of its own, its `traceparent` written once for every gRPC call under it.

Nine requests in ten at 10 % sampling are dropped: the edge's roots the sampler's rule leaves out, and every call a
backend gets from such a request (parent-based: flag 00, dropped). Such a span's context holds nothing else (no
caller's baggage: a root has none; a server call's caller sent a lone `traceparent`), so what `propagate.inject`
writes under it is known once: `00-{trace id}-{span id}-{flags}` (and the span's `tracestate` when it has one).
`Unsampled` is that context: `trace.get_current_span` finds the span in it as in any context (the logs' trace and
span ids), and a client call that finds it still current (`type(...) is Unsampled`: anything set on it since —
baggage, a span — makes a plain `Context`) sends its `traceparent` as made the first time, without looking the span,
its ids and the baggage up again (tests/unit/observability/test_unsampled.py compares it with the propagator's).
"""
from __future__ import annotations

from opentelemetry import trace
from opentelemetry.context import Context

from ventanilla.observability.traceparent import FIELD

_NO_STATE = trace.DEFAULT_TRACE_STATE  # what a span context without trace state holds
_SPAN_KEY = next(iter(trace.set_span_in_context(trace.INVALID_SPAN, Context())))  # where the API keeps the span


class Unsampled(Context):
    """A context holding only a dropped (non-recording) span (`Unsampled.of`), and the trace context written for it."""

    _metadata = None  # made by the first call under it

    @classmethod
    def of(cls, span: trace.NonRecordingSpan) -> "Unsampled":
        """The context holding span alone."""
        return cls({_SPAN_KEY: span})

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The (key, value) pairs the default propagators write under this context (traceparent, and tracestate
        when the span has one), made once."""
        found = self._metadata
        if found is None:
            trace_id, span_id, _remote, flags, state, _valid = self[_SPAN_KEY].get_span_context()
            found = ((FIELD, "00-%032x-%016x-%02x" % (trace_id, span_id, flags)),)  # noqa: UP031 - 0.1 µs < f""
            if state is not _NO_STATE and state:  # (TraceState's len() is a Python call)
                found += (("tracestate", state.to_header()),)
            self._metadata = found
        return found

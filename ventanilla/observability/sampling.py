"""Spans decided before they are made: the sampler asked first, a dropped span built directly, a kept root's id reused.

The SDK's `Tracer.start_span` builds a dropped (non-recording) span in about 15 µs inside a request: the parent
looked up again, ids, the sampler, flags, its own span metrics. Nine requests in ten at 10 % sampling are dropped,
so the server side (the edge's WSGI front, every gRPC server) asks the provider's own sampler first, with the ids
the provider's own generator makes, and builds exactly the `NonRecordingSpan` the SDK would have built. A request
the sampler keeps goes the instrumentation's usual way; a kept root's trace id is the one the sampler was asked
about (`ReusedIds` hands it to the SDK's next `generate_trace_id` on that thread), so a ratio sampler's decision,
made on the trace id, is the same twice and the kept share stays what OTEL_TRACES_SAMPLER_ARG says.
When the sampler is one of the SDK's own (OTEL_TRACES_SAMPLER's: a trace-id ratio, always on/off, each alone or
parent-based with the default delegates), its rule is applied without calling it for the two cases every request
meets: a root (the ratio's bound against a fresh trace id) and a caller whose trace is unsampled (parent-based:
dropped). A span whose decision is thus known to be "kept" (a root kept by that rule; a child of a local sampled
span under a parent-based sampler's default delegate) is started by a copy of its tracer whose sampler is ALWAYS_ON,
the sampler's result for it, instead of asking the sampler a second time (~8 µs per span inside a request).
tests/unit/observability/test_sampling.py compares these decisions and spans with the SDK's.
"""
from __future__ import annotations

import copy
import threading

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Tracer, TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (ALWAYS_ON, Decision, ParentBased, Sampler, StaticSampler,
                                              TraceIdRatioBased)
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState

_LIMIT = TraceIdRatioBased.TRACE_ID_LIMIT
_DROPPED = {0: TraceFlags(TraceFlags.DEFAULT), TraceFlags.RANDOM_TRACE_ID: TraceFlags(TraceFlags.RANDOM_TRACE_ID)}


def _bound(sampler: Sampler) -> int | None:
    """The bound a root's trace id (its low 64 bits) must be under to be kept, when sampler decides roots by
    TraceIdRatioBased's rule (always on and always off are its two ends); None for any other sampler."""
    rule = getattr(type(sampler), "should_sample", None)
    if rule is TraceIdRatioBased.should_sample:
        return sampler.bound
    if rule is StaticSampler.should_sample:  # always on or always off
        return 0 if sampler.get_description() == "AlwaysOffSampler" else _LIMIT + 1
    if rule is ParentBased.should_sample:
        return _bound(getattr(sampler, "_root", None))  # a root goes to ParentBased's root sampler
    return None


def _drops_unsampled_callers(sampler: Sampler) -> bool:
    """Whether sampler drops every span whose remote parent is not sampled (ParentBased's default delegate)."""
    return (type(sampler).should_sample is ParentBased.should_sample
            and _bound(getattr(sampler, "_remote_parent_not_sampled", None)) == 0)


def _keeps_sampled_children(sampler: Sampler) -> bool:
    """Whether sampler keeps every span under a local sampled parent as ALWAYS_ON does (same result: kept, no
    attribute added, the parent's trace state): ParentBased with its default delegate, or always on."""
    if type(sampler).should_sample is ParentBased.should_sample:
        return _bound(getattr(sampler, "_local_parent_sampled", None)) == _LIMIT + 1
    return type(sampler).should_sample is StaticSampler.should_sample and _bound(sampler) == _LIMIT + 1


def _unasked(tracer):
    """A copy of an SDK tracer (same provider's processors, resource, ids, scope and limits) whose spans are
    started as ALWAYS_ON starts them: for spans whose decision is already known to be that one."""
    if not isinstance(tracer, Tracer):
        return tracer
    unasked = copy.copy(tracer)
    unasked.sampler = ALWAYS_ON
    return unasked


class ReusedIds(IdGenerator):
    """The SDK's random ids, but a trace id already decided on is the next one this thread gets."""

    def __init__(self, ids: IdGenerator | None = None):
        self._ids = ids or RandomIdGenerator()
        self._decided = threading.local()

    def generate_span_id(self) -> int:
        return self._ids.generate_span_id()

    def generate_trace_id(self) -> int:
        decided = getattr(self._decided, "trace_id", None)
        if decided is None:
            return self._ids.generate_trace_id()
        self._decided.trace_id = None
        return decided

    def is_trace_id_random(self) -> bool:
        return self._ids.is_trace_id_random()

    def fresh_trace_id(self) -> int:
        """A new trace id, not the one decided on."""
        return self._ids.generate_trace_id()

    def reuse(self, trace_id: int) -> None:
        """The next trace id this thread's SDK asks for is trace_id."""
        self._decided.trace_id = trace_id


class Decider:
    """Asks a provider's sampler about a span before any span is made."""

    def __init__(self, provider: TracerProvider):
        self._sampler, self._ids = provider.sampler, provider.id_generator
        self._reusing = isinstance(self._ids, ReusedIds)
        self._root_bound = _bound(self._sampler) if self._reusing else None
        random = TraceFlags.RANDOM_TRACE_ID if self._ids.is_trace_id_random() else 0
        self._root_flags = TraceFlags(TraceFlags.DEFAULT | random)
        self._drops_unsampled = _drops_unsampled_callers(self._sampler)
        self._keeps_children = _keeps_sampled_children(self._sampler)

    def for_kept_roots(self, tracer):
        """tracer, or a copy that does not ask the sampler again, for a root root() kept by the sampler's rule."""
        return _unasked(tracer) if self._root_bound is not None else tracer

    def for_sampled_children(self, tracer):
        """tracer, or a copy that does not ask the sampler again, for a span under a local sampled span."""
        return _unasked(tracer) if self._keeps_children else tracer

    def root(self, name: str, kind: trace.SpanKind) -> NonRecordingSpan | None:
        """dropped() for a span without any parent, by the sampler's rule on a fresh trace id when it has one."""
        if self._root_bound is None:
            return self.dropped(Context(), name, kind)
        trace_id = self._ids.fresh_trace_id()
        if trace_id & _LIMIT < self._root_bound:
            self._ids.reuse(trace_id)
            return None
        return NonRecordingSpan(SpanContext(trace_id, self._ids.generate_span_id(), False, self._root_flags))

    def under_unsampled(self, trace_id: int, flags: int, state: TraceState | None = None) -> NonRecordingSpan | None:
        """The dropped span under a remote caller's unsampled span (trace id, flags, trace state), when the sampler
        drops every such span; None: ask dropped()."""
        if not self._drops_unsampled or flags & TraceFlags.SAMPLED:
            return None
        return NonRecordingSpan(SpanContext(trace_id, self._ids.generate_span_id(), False,
                                            _DROPPED[flags & TraceFlags.RANDOM_TRACE_ID], state))

    def dropped(self, parent: Context, name: str, kind: trace.SpanKind) -> NonRecordingSpan | None:
        """The non-recording span the SDK would start under parent when its sampler drops it; None when the
        sampler keeps it (start it the usual way, right after, on this thread: a root reuses the decided id)."""
        parent_span = trace.get_current_span(parent).get_span_context()
        root = not parent_span.is_valid
        if root and not self._reusing:
            return None  # the SDK would pick a trace id of its own: let it decide too
        trace_id = self._ids.fresh_trace_id() if root else parent_span.trace_id
        result = self._sampler.should_sample(parent, trace_id, name, kind)
        if result.decision is not Decision.DROP:
            if root:
                self._ids.reuse(trace_id)
            return None
        random = self._ids.is_trace_id_random() if root else parent_span.trace_flags.random_trace_id
        flags = TraceFlags(TraceFlags.DEFAULT | (TraceFlags.RANDOM_TRACE_ID if random else 0))
        return NonRecordingSpan(SpanContext(trace_id, self._ids.generate_span_id(), is_remote=False,
                                            trace_flags=flags, trace_state=result.trace_state))

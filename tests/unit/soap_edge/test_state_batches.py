"""The status client's batched state queries: each member's caller kept, the single call's faults, span links."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from opentelemetry import context as otel_context, trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ventanilla.api.v1 import invoice_pb2 as ipb, services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.observability.tracing import Tracing

from soap_edge.backends.clients import StatusClient, catalogue_error
from soap_edge.backends.coalescer import Member
from soap_edge.backends.state_batches import StateBatches

from tests.unit.soap_edge.fakes import FakeRpcError, rpc_error

WAIT_S = 10.0
DOWN = StatusClient.down


class HeldCalls:
    """GetStateBatch as a callable: records each request; the first call stays in flight until `release`."""

    def __init__(self, answer=None):
        self.requests: list[pb.StateQueries] = []
        self.release, self.started = threading.Event(), threading.Event()
        self.answer = answer or (lambda request: pb.StatesAnswer(items=[
            pb.StateItem(state=ipb.PAGADA, remarks=q.caller.request_id) for q in request.queries]))

    def __call__(self, request, timeout=None, wait_for_ready=None):
        self.requests.append(request)
        if len(self.requests) == 1:
            self.started.set()
            assert self.release.wait(WAIT_S)
        return self.answer(request)


def _batches(calls, **kwargs) -> StateBatches:
    return StateBatches(lambda: calls, lambda request, error: catalogue_error("status", request, error, DOWN),
                        DOWN, **kwargs)


def _concurrent(batches: StateBatches, calls: HeldCalls, asks: list):
    """The first ask held in flight while the others queue; every ask's future."""
    pool = ThreadPoolExecutor(max_workers=len(asks))
    first = pool.submit(*asks[0])
    assert calls.started.wait(WAIT_S)
    rest = [pool.submit(*ask) for ask in asks[1:]]
    deadline = time.monotonic() + WAIT_S
    while batches._coalescer.queued() < len(rest):
        assert time.monotonic() < deadline
        time.sleep(0.001)
    calls.release.set()
    pool.shutdown(wait=True)
    return [first, *rest]


def test_every_member_keeps_its_own_caller_and_key():
    calls = HeldCalls()
    batches = _batches(calls)
    key = ipb.InvoiceTuple(supplier_nif="B12345678", year=2026, series="A-", number="7")
    mine = pb.Caller(nif="B12345678", request_id="r-a")
    theirs = pb.Caller(nif="99999999R", request_id="r-b", read_own_writes=True)
    futures = _concurrent(batches, calls, [(batches.state, mine, 1, 5.0), (batches.state, theirs, 2, 5.0),
                                           (batches.state_by_tuple, mine, key, 5.0)])
    assert [f.result().remarks for f in futures] == ["r-a", "r-b", "r-a"]
    assert list(calls.requests[1].queries) == [pb.StateQuery(caller=theirs, id=2), pb.StateQuery(caller=mine, tuple=key)]


@pytest.mark.parametrize("error, fault", [
    (FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection refused"), DOWN),
    (FakeRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline"), DOWN),
    (rpc_error(DomainError(ErrorKey.REGISTRO, "No está listo")), DomainError(ErrorKey.REGISTRO, "No está listo")),
    (FakeRpcError(grpc.StatusCode.UNKNOWN, "Exception calling application"), DomainError(ErrorKey.REGISTRO)),
])
def test_a_failed_call_gives_every_member_the_fault_a_single_call_gets(error, fault):
    def failing(request):
        raise error
    calls = HeldCalls(answer=failing)
    batches = _batches(calls)
    futures = _concurrent(batches, calls, [(batches.state, pb.Caller(nif="B12345678"), n, 5.0) for n in range(4)])
    single = catalogue_error("status", pb.StatesByIds(), error, DOWN)
    for future in futures:
        raised = future.exception()
        assert (raised.key, raised.detail) == (single.key, single.detail) == (fault.key, fault.detail)


def test_an_incomplete_answer_is_every_members_server_error():
    calls = HeldCalls(answer=lambda request: pb.StatesAnswer(items=[pb.StateItem()]))
    batches = _batches(calls)
    futures = _concurrent(batches, calls, [(batches.state, pb.Caller(nif="B12345678"), n, 5.0) for n in range(3)])
    assert futures[0].result() == pb.StateItem()  # a batch of one: complete
    assert all(f.exception().key is ErrorKey.REGISTRO for f in futures[1:])


def test_a_shared_call_is_made_in_its_leaders_trace_and_every_other_sampled_member_links_to_it():
    exporter = InMemorySpanExporter()
    tracing = Tracing.to("soap-edge", exporter)
    tracer = tracing.tracer("test")
    calls, seen = HeldCalls(), []
    answer = calls.answer
    calls.answer = lambda request: (seen.append(trace.get_current_span().get_span_context()), answer(request))[1]
    batches = _batches(calls, traced=True)
    members: dict[str, trace.SpanContext] = {}

    def request(name: str, invoice_id: int):
        with tracer.start_as_current_span(name) as span:
            members[name] = span.get_span_context()
            return batches.state(pb.Caller(nif="B12345678", request_id=name), invoice_id, 5.0)

    _concurrent(batches, calls, [(request, "lone", 1), (request, "a", 2), (request, "b", 3), (request, "c", 4)])
    assert seen == [members["lone"], members["a"]]  # each call in its leader's trace: the first of its batch
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"lone", "a", "b", "c"}  # no batch span
    assert "ventanilla.batch.queries" not in spans["lone"].attributes and not spans["lone"].links
    assert spans["a"].attributes["ventanilla.batch.queries"] == 3 and not spans["a"].links
    for name in "bc":
        (link,) = spans[name].links
        assert link.context == members["a"] and link.attributes["ventanilla.batch.queries"] == 3
        assert spans[name].attributes["ventanilla.batch.queries"] == 3
    tracing.shutdown()


def test_a_shared_call_follows_its_leaders_decision_whichever_members_are_sampled():
    """The status service traces a call when its leader's trace is sampled, so the share of traced calls is the
    sampler's ratio; a sampled member of a call whose leader is not sampled keeps its span and links to the call's
    trace (unsampled: its trace id is the one the status service's log lines carry for that call)."""
    exporter = InMemorySpanExporter()
    tracing = Tracing.to("soap-edge", exporter)
    calls, seen = HeldCalls(), []
    answer = calls.answer
    calls.answer = lambda request: (seen.append(trace.get_current_span().get_span_context()), answer(request))[1]
    batches = _batches(calls, traced=True)
    unsampled = [trace.SpanContext(0x1000 + n, 0x2000 + n, False, trace.TraceFlags(0)) for n in range(3)]
    members: dict[str, trace.SpanContext] = {}

    def dropped(n: int, invoice_id: int):  # a request whose trace the sampler dropped
        with trace.use_span(trace.NonRecordingSpan(unsampled[n])):
            return batches.state(pb.Caller(nif="B12345678", request_id=f"u{n}"), invoice_id, 5.0)

    def sampled(name: str, invoice_id: int):
        with tracing.tracer("test").start_as_current_span(name) as span:
            members[name] = span.get_span_context()
            return batches.state(pb.Caller(nif="B12345678", request_id=name), invoice_id, 5.0)

    _concurrent(batches, calls, [(dropped, 0, 1), (dropped, 1, 2), (sampled, "s", 3), (dropped, 2, 4)])
    assert seen == [unsampled[0], unsampled[1]]  # the shared call is not sampled: its leader's trace is not
    assert not seen[1].trace_flags.sampled
    (span,) = exporter.get_finished_spans()  # no batch span, no client span of the call in the sampled trace
    (link,) = span.links
    assert span.name == "s" and link.context == unsampled[1] and span.attributes["ventanilla.batch.queries"] == 3
    tracing.shutdown()


def test_a_batch_of_one_sent_by_another_thread_calls_within_its_members_trace():
    exporter = InMemorySpanExporter()
    tracing = Tracing.to("soap-edge", exporter)
    seen = []

    def call(request, timeout=None, wait_for_ready=None):
        seen.append(trace.get_current_span().get_span_context())
        return pb.StatesAnswer(items=[pb.StateItem(state=ipb.PAGADA)])

    batches = _batches(call, traced=True)
    with tracing.tracer("test").start_as_current_span("member") as span:
        member = Member(pb.StateQuery(caller=pb.Caller(nif="B12345678"), id=1), time.monotonic() + 5.0,
                        otel_context.get_current())
    assert batches._send([member], 5.0)[0].state == ipb.PAGADA  # sent from outside the member's context
    assert seen == [span.get_span_context()] and trace.get_current_span() is trace.INVALID_SPAN
    assert [s.name for s in exporter.get_finished_spans()] == ["member"]
    tracing.shutdown()


def test_a_sampled_member_of_a_call_led_outside_any_trace_gets_the_size_and_no_link():
    exporter = InMemorySpanExporter()
    tracing = Tracing.to("soap-edge", exporter)
    calls = HeldCalls()
    batches = _batches(calls, traced=True)

    def untraced(invoice_id: int):  # a caller with no span current at all
        return batches.state(pb.Caller(nif="B12345678", request_id="x"), invoice_id, 5.0)

    def sampled(invoice_id: int):
        with tracing.tracer("test").start_as_current_span("s"):
            return batches.state(pb.Caller(nif="B12345678", request_id="s"), invoice_id, 5.0)

    _concurrent(batches, calls, [(untraced, 1), (untraced, 2), (sampled, 3)])
    (span,) = exporter.get_finished_spans()
    assert span.attributes["ventanilla.batch.queries"] == 2 and not span.links
    tracing.shutdown()

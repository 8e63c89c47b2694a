"""consultarEstado(Motivo)Factura's queries of one state, coalesced per edge process into GetStateBatch calls."""
from __future__ import annotations

import logging
from typing import Callable, Sequence

import grpc
from opentelemetry import context as otel_context, trace

from ventanilla.api.v1 import invoice_pb2, services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.backends.coalescer import Coalescer, Member

log = logging.getLogger("soap_edge.backends")

BATCH_QUERIES = "ventanilla.batch.queries"  # span attribute: how many queries the call carried
MAX_ITEMS = 64  # queries per call: a few KB each way, well under a group query's 500
INCOMPLETE = DomainError(ErrorKey.REGISTRO, "Respuesta incompleta del servicio de consulta.")

Failed = Callable[[object, grpc.RpcError], DomainError]  # (the request, the call's error) -> every member's error


class StateBatches:
    """Each caller's query of one state (by id or tuple), sent at once when no batch is in flight, else with the
    others that arrived meanwhile; each member keeps its own caller (request id, read-your-writes flag), and the
    status service answers and authorizes it as its own call. A failed call is every member's failure (`failed`:
    what a single call's failure means to its caller; `down`: a member whose deadline passed in the queue)."""

    def __init__(self, call: Callable[[], Callable], failed: Failed, down: DomainError,
                 traced: bool = False, observed: Callable[[int], None] | None = None,
                 max_items: int = MAX_ITEMS, linger_s: float = 0.0):
        self._call, self._failed, self._down, self._traced = call, failed, down, traced
        self._coalescer = Coalescer(self._send, self._expired, max_items, observed, linger_s=linger_s)

    def state(self, caller: pb.Caller, invoice_id: int, timeout_s: float) -> pb.StateItem:
        """One invoice's state item by id (its error inside, as GetStates answers it)."""
        return self._ask(pb.StateQuery(caller=caller, id=invoice_id), timeout_s)

    def state_by_tuple(self, caller: pb.Caller, key: invoice_pb2.InvoiceTuple, timeout_s: float) -> pb.StateItem:
        """One invoice's state item by its business tuple."""
        return self._ask(pb.StateQuery(caller=caller, tuple=key), timeout_s)

    def _ask(self, query: pb.StateQuery, timeout_s: float) -> pb.StateItem:
        context = otel_context.get_current() if self._traced else None
        return self._coalescer.ask(query, timeout_s, context)

    def _expired(self) -> DomainError:
        log.warning("query expired waiting for its batch", extra={"backend": "status", "request": "StateQuery"})
        return self._down

    def _send(self, batch: Sequence[Member], timeout_s: float) -> list:
        request = pb.StateQueries(queries=[member.item for member in batch])
        token = self._entered(batch)
        try:
            answer = self._call()(request, timeout=timeout_s, wait_for_ready=True)
        except grpc.RpcError as error:
            return [self._failed(request, error)] * len(batch)
        finally:
            if token is not None:
                otel_context.detach(token)
        if len(answer.items) != len(batch):
            return [INCOMPLETE] * len(batch)
        return list(answer.items)

    def _entered(self, batch: Sequence[Member]):
        """With tracing on, the call follows its leader's decision (`batch[0]`: the member whose thread sends it, or
        the oldest left when that one's deadline passed; either way chosen by arrival, not by sampling), so the
        status service traces the sampler's share of calls, not the 1 - (1 - ratio)^k of calls that carry a sampled
        query among k. The call is made in the leader's trace (its
        client span a child of the leader's span); every other member whose span is sampled gets a link to the
        leader's span (the call's trace: exported when the leader's is sampled; else the trace id the status
        service's log lines carry) and, like a sampled leader of a shared call, the batch's size. The leader's
        context is made current (the token to detach returned) unless it is already (the leader sends its batch)."""
        if not self._traced:
            return None
        leader = batch[0]
        if len(batch) > 1:
            _linked(leader, batch)
        current = leader.context
        if current is None or current is otel_context.get_current():
            return None
        return otel_context.attach(current)


def _linked(leader: Member, batch: Sequence[Member]) -> None:
    """The shared call's members whose spans are recorded: the batch size on each, a link to the leader's span on
    every one but the leader's."""
    call = trace.get_current_span(leader.context).get_span_context() if leader.context is not None else None
    if call is not None and not call.is_valid:  # a leader outside any trace: nothing to link to
        call = None
    for member in batch:
        if member.context is None:
            continue
        span = trace.get_current_span(member.context)
        if not span.is_recording():
            continue
        span.set_attribute(BATCH_QUERIES, len(batch))
        if member is not leader and call is not None:
            span.add_link(call, {BATCH_QUERIES: len(batch)})

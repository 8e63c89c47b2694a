"""gRPC StatusService: protobuf in, query use cases, protobuf out."""
from __future__ import annotations

import logging

from ventanilla.adapters import callers
from ventanilla.adapters.grpc_errors import abort_with
from ventanilla.adapters.invoice_messages import invoice_to_pb, state_to_pb, tuple_from_pb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.domain.errors import DomainError, ErrorKey
from status_service.handlers import Queries

log = logging.getLogger("status.queries")


def _state_item(item) -> pb.StateItem:
    if isinstance(item, DomainError):
        return pb.StateItem(error=pb.CatalogueError(key=item.key.value, message=item.detail))
    return pb.StateItem(state=state_to_pb(item.state), remarks=item.state_remarks)


def _invoice_answer(invoice, receipt: bytes | None) -> pb.InvoiceAnswer:
    """An invoice and its receipt PDF; a receipt of None (the one the caller holds) as receipt_unchanged."""
    if receipt is None:
        return pb.InvoiceAnswer(invoice=invoice_to_pb(invoice), receipt_unchanged=True)
    return pb.InvoiceAnswer(invoice=invoice_to_pb(invoice), receipt_pdf=receipt)


class StatusApi(services_pb2_grpc.StatusServiceServicer):
    """Answers consultas by id, by tuple and by groups."""

    def __init__(self, queries: Queries, group_items=None):
        self._queries = queries
        self._group_items = group_items  # a histogram of the items each group query asks for (none: not observed)

    def _group(self, size: int) -> None:
        if self._group_items is not None:
            self._group_items.observe(size)

    def GetInvoice(self, request, context):
        try:
            invoice, receipt = self._queries.invoice_by_id(callers.party(request.caller), request.id,
                                                          request.caller.read_own_writes, request.held_receipt_sha256)
        except DomainError as error:
            abort_with(context, error)
        return _invoice_answer(invoice, receipt)

    def FindInvoice(self, request, context):
        try:
            invoice, receipt = self._queries.invoice_by_tuple(callers.party(request.caller),
                                                              tuple_from_pb(request.tuple),
                                                              request.caller.read_own_writes,
                                                              request.held_receipt_sha256)
        except DomainError as error:
            abort_with(context, error)
        return _invoice_answer(invoice, receipt)

    def GetStates(self, request, context):
        self._group(len(request.ids))
        items = self._queries.states_by_ids(callers.party(request.caller), list(request.ids),
                                            request.caller.read_own_writes)
        return pb.StatesAnswer(items=[_state_item(i) for i in items])

    def FindStates(self, request, context):
        self._group(len(request.tuples))
        queries = [tuple_from_pb(t) for t in request.tuples]
        items = self._queries.states_by_tuples(callers.party(request.caller), queries, request.caller.read_own_writes)
        return pb.StatesAnswer(items=[_state_item(i) for i in items])

    def GetStateBatch(self, request, context):
        """Queries of one state each, from many callers: each answered and authorized as its own call would be."""
        members: dict[str, list] = {"id": [], "tuple": []}
        order: list[tuple[str, int] | DomainError] = []
        for query in request.queries:
            nif, own_writes = callers.party(query.caller), query.caller.read_own_writes
            kind = query.WhichOneof("key") or "id"
            try:
                key = query.id if kind == "id" else tuple_from_pb(query.tuple)
            except ValueError:  # a date no calendar has: what FindStates' failure gives that caller
                order.append(DomainError(ErrorKey.REGISTRO))
                continue
            order.append((kind, len(members[kind])))
            members[kind].append((nif, key, own_writes))
        if log.isEnabledFor(logging.INFO):
            log.info("state batch", extra={"items": len(order),
                                            "request_ids": [query.caller.request_id for query in request.queries]})
        by_id, by_tuple = self._queries.state_batch(members["id"], members["tuple"])
        answered = {"id": by_id, "tuple": by_tuple}
        return pb.StatesAnswer(items=[_state_item(place if isinstance(place, DomainError) else answered[place[0]][place[1]])
                                      for place in order])

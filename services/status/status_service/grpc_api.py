"""gRPC StatusService: protobuf in, query use cases, protobuf out."""
from __future__ import annotations

from ventanilla.adapters import callers
from ventanilla.adapters.grpc_errors import abort_with
from ventanilla.adapters.invoice_messages import invoice_to_pb, state_to_pb, tuple_from_pb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.domain.errors import DomainError
from status_service.handlers import Queries


def _state_item(item) -> pb.StateItem:
    if isinstance(item, DomainError):
        return pb.StateItem(error=pb.CatalogueError(key=item.key.value, message=item.detail))
    return pb.StateItem(state=state_to_pb(item.state), remarks=item.state_remarks)


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
                                                          request.caller.read_own_writes)
        except DomainError as error:
            abort_with(context, error)
        return pb.InvoiceAnswer(invoice=invoice_to_pb(invoice), receipt_pdf=receipt)

    def FindInvoice(self, request, context):
        try:
            invoice, receipt = self._queries.invoice_by_tuple(callers.party(request.caller),
                                                              tuple_from_pb(request.tuple),
                                                              request.caller.read_own_writes)
        except DomainError as error:
            abort_with(context, error)
        return pb.InvoiceAnswer(invoice=invoice_to_pb(invoice), receipt_pdf=receipt)

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

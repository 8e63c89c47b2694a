"""The edge's request metrics: by operation, outcome and fault key; body sizes by transfer; requests in flight."""
from __future__ import annotations

from ventanilla.domain.errors import DomainError
from ventanilla.observability.catalogue import outcome_of
from ventanilla.observability.children import Children

from soap_edge.facts import RequestFacts
from soap_edge.soap.service import FacturaService

OPERATIONS = frozenset(FacturaService.public_methods)  # a label value never comes from the client's own words
NONE = "none"  # no operation (WSDL, receipts, readiness, a body that named none)
OTHER = "other"  # a name that is no operation of the service


def operation_label(facts: RequestFacts) -> str:
    """The operation label of a request: one of the service's operations, none or other."""
    if facts.operation is None:
        return NONE
    return facts.operation if facts.operation in OPERATIONS else OTHER


class Metering:
    """Observes each answered request on the worker's metrics (shared across gunicorn workers by files);
    the labelled children are looked up once per label values (Children)."""

    def __init__(self, metrics):
        self._in_flight = metrics.soap_in_flight
        self._requests = Children(metrics.soap_requests)
        self._duration = Children(metrics.soap_request_duration)
        self._request_body = Children(metrics.soap_request_body)
        self._response_body = Children(metrics.soap_response_body)

    def started(self) -> None:
        """A request is being served."""
        self._in_flight.inc()

    def answered(self, facts: RequestFacts, refusal: DomainError | None, bytes_out: int, seconds: float) -> None:
        """A request was answered (its facts, its refusal if any): counted, timed, its bodies sized."""
        self._in_flight.dec()
        if facts.path == "/readyz":
            return
        operation = operation_label(facts)
        outcome, fault_key = outcome_of(refusal.key if refusal is not None else None)
        self._requests(operation, outcome, fault_key).inc()
        self._duration(operation, outcome).observe(seconds)
        if facts.transfer is not None:
            transfer = facts.transfer.value
            self._request_body(operation, transfer).observe(facts.body_bytes)
            self._response_body(operation, transfer).observe(bytes_out)

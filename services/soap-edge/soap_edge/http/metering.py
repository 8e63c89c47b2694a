"""The edge's request metrics: by operation, outcome and fault key; body sizes by transfer; requests in flight."""
from __future__ import annotations

from ventanilla.domain.errors import DomainError
from ventanilla.observability.catalogue import outcome_of

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
    """Observes each answered request on the worker's metrics (shared across gunicorn workers by files)."""

    def __init__(self, metrics):
        self._metrics = metrics

    def started(self) -> None:
        """A request is being served."""
        self._metrics.soap_in_flight.inc()

    def answered(self, facts: RequestFacts, refusal: DomainError | None, bytes_out: int, seconds: float) -> None:
        """A request was answered (its facts, its refusal if any): counted, timed, its bodies sized."""
        self._metrics.soap_in_flight.dec()
        if facts.path == "/readyz":
            return
        operation = operation_label(facts)
        outcome, fault_key = outcome_of(refusal.key if refusal is not None else None)
        self._metrics.soap_requests.labels(operation=operation, outcome=outcome, fault_key=fault_key).inc()
        self._metrics.soap_request_duration.labels(operation=operation, outcome=outcome).observe(seconds)
        if facts.transfer is not None:
            transfer = facts.transfer.value
            self._metrics.soap_request_body.labels(operation=operation, transfer=transfer).observe(facts.body_bytes)
            self._metrics.soap_response_body.labels(operation=operation, transfer=transfer).observe(bytes_out)

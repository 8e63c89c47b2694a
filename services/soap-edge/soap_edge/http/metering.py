"""The edge's request metrics: by operation, outcome and fault key; body sizes by transfer; requests in flight."""
from __future__ import annotations

from bisect import bisect_left

from ventanilla.domain.errors import DomainError
from ventanilla.observability.catalogue import outcome_of

from soap_edge.facts import RequestFacts
from soap_edge.soap.service import FacturaService

OPERATIONS = frozenset(FacturaService.public_methods)  # a label value never comes from the client's own words
NONE = "none"  # no operation (WSDL, receipts, readiness, a body that named none)
OTHER = "other"  # a name that is no operation of the service
_STARTED = (NONE, "", "", None)  # the row a request's start is counted in (in flight: no labels of its own)


def operation_label(facts: RequestFacts) -> str:
    """The operation label of a request: one of the service's operations, none or other."""
    if facts.operation is None:
        return NONE
    return facts.operation if facts.operation in OPERATIONS else OTHER


class Metering:
    """Tallies each answered request in one row of this thread's (operation, outcome, fault key, transfer): its
    count, its duration's and its bodies' sums and buckets, and the requests in flight; the metrics (shared across
    gunicorn workers by files) receive the rows' sums when collected (ventanilla/observability/tally.py). Nothing
    is kept when the process's metrics are off."""

    def __init__(self, metrics):
        tallies = getattr(metrics, "tallies", None)
        self._rows = rows = tallies.rows() if tallies is not None else None
        if rows is None:
            return
        self._local = rows.local
        self._in_flight = rows.added(metrics.soap_in_flight, lambda key: ())
        self._requests = rows.added(metrics.soap_requests, lambda key: key[:3])
        self._duration, self._duration_bounds = rows.histogram(metrics.soap_request_duration, lambda key: key[:2])
        by_transfer = lambda key: (key[0], key[3])  # noqa: E731 - a body's labels
        self._request_body, self._request_bounds = rows.histogram(metrics.soap_request_body, by_transfer)
        self._response_body, self._response_bounds = rows.histogram(metrics.soap_response_body, by_transfer)

    def started(self) -> None:
        """A request is being served."""
        if self._rows is not None:
            self._row(_STARTED)[self._in_flight] += 1

    def _row(self, key: tuple) -> list:
        try:
            return self._local.table[key]
        except (AttributeError, KeyError):
            return self._rows.row(key)

    def answered(self, facts: RequestFacts, refusal: DomainError | None, bytes_out: int, seconds: float) -> None:
        """A request was answered (its facts, its refusal if any): counted, timed, its bodies sized."""
        rows = self._rows
        if rows is None:
            return
        if facts.path == "/readyz":
            self._row(_STARTED)[self._in_flight] -= 1
            return
        operation = operation_label(facts)
        outcome, fault_key = outcome_of(refusal.key if refusal is not None else None)
        transfer = facts.transfer.value if facts.transfer is not None else None
        key = (operation, outcome, fault_key, transfer)
        try:  # the row's lookup inlined (no Python call): this runs on every request
            row = self._local.table[key]
        except (AttributeError, KeyError):
            row = rows.row(key)
        row[self._in_flight] -= 1
        row[self._requests] += 1
        at = self._duration
        row[at] += seconds
        row[at + 1 + bisect_left(self._duration_bounds, seconds)] += 1  # prometheus-client's bucket: first bound >= x
        if transfer is not None:
            at, size = self._request_body, facts.body_bytes
            row[at] += size
            row[at + 1 + bisect_left(self._request_bounds, size)] += 1
            at = self._response_body
            row[at] += bytes_out
            row[at + 1 + bisect_left(self._response_bounds, bytes_out)] += 1

"""The cancellation use case: check, append, then read back what the log decided."""
from __future__ import annotations

import uuid
from typing import Callable, Protocol

from ventanilla.adapters.invoice_messages import state_from_pb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import CancellationRequested
from ventanilla.domain.invoice import State
from ventanilla.domain.lifecycle import check_cancellation

Lookup = Callable[[], pb.InvoiceAnswer]


class Log(Protocol):
    """The invoice event log."""

    def append(self, event): ...


class Canceller:
    """Cancels invoices; the order in the invoice's partition has the last word."""

    def __init__(self, log: Log, clock):
        self._log = log
        self._clock = clock

    def cancel(self, caller_nif: str, lookup: Lookup, reason: str) -> pb.InvoiceAnswer:
        """Request the cancellation of the invoice `lookup` finds for the caller."""
        if not reason.strip():
            raise DomainError(ErrorKey.ANULACION_MOTIVO_OBLIGATORIO)
        before = lookup().invoice
        check_cancellation(state_from_pb(before.state), bool(before.cancellation_reason), reason)
        event_id = str(uuid.uuid4())
        self._log.append(CancellationRequested(event_id, before.id, self._clock.now(), reason.strip(), caller_nif))
        after = lookup()
        if state_from_pb(after.invoice.state) is not State.ANULADA or after.invoice.cancellation_reason != reason.strip():
            raise DomainError(
                ErrorKey.ANULACION_ESTADO_INCORRECTO,
                "La factura cambió de estado antes de que la anulación quedara registrada.",
            )
        return after

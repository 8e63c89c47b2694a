"""The cancellation use case: load the invoice as the caller may see it, decide, append, read back the outcome."""
from __future__ import annotations

import uuid
from typing import Callable

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import Invoice, State
from ventanilla.domain.invoice_commands import RequestCancellation
from ventanilla.domain.invoice_decide import decide
from ventanilla.ports import Clock, Log

Answer = tuple[Invoice, bytes]  # the invoice and its receipt, as the status service answers a consulta
Lookup = Callable[[], Answer]


class Canceller:
    """Cancels invoices; the order in the invoice's partition has the last word."""

    def __init__(self, log: Log, clock: Clock):
        self._log = log
        self._clock = clock

    def cancel(self, caller_nif: str, lookup: Lookup, reason: str) -> Answer:
        """Request the cancellation of the invoice `lookup` finds for the caller; the invoice as it is then."""
        if not reason.strip():  # before any lookup: a request without a reason is refused as such
            raise DomainError(ErrorKey.ANULACION_MOTIVO_OBLIGATORIO)
        before, _ = lookup()
        command = RequestCancellation(str(uuid.uuid4()), before.id, self._clock.now(), reason, caller_nif)
        for event in decide(before, command):
            self._log.append(event)
        after = lookup()
        cancellation = after[0].cancellation
        if after[0].state is not State.ANULADA or cancellation is None or cancellation.reason != reason.strip():
            raise DomainError(
                ErrorKey.ANULACION_ESTADO_INCORRECTO,
                "La factura cambió de estado antes de que la anulación quedara registrada.",
            )
        return after

"""Back-office commands and the decisions taken on them against an invoice's current state."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import CancellationAccepted, CancellationRejected, InvoiceEvent, StatusChanged
from ventanilla.domain.invoice import CancellationOutcome, Invoice, State
from ventanilla.domain.lifecycle import check_status_change


@dataclass(frozen=True)
class SetState:
    """A back office asks to move an invoice to a processing state."""

    invoice_id: int
    state: State
    remarks: str
    message_id: str
    occurred_at: datetime
    source_system: str


@dataclass(frozen=True)
class DecideCancellation:
    """A back office accepts or rejects the invoice's pending cancellation."""

    invoice_id: int
    accepted: bool
    reason: str
    message_id: str
    occurred_at: datetime
    source_system: str


BackOfficeCommand = SetState | DecideCancellation


def _set_state(invoice: Invoice, command: SetState, event_id: str) -> tuple[InvoiceEvent, ...]:
    check_status_change(invoice, command.state)
    return (StatusChanged(event_id, command.invoice_id, command.occurred_at, command.state, command.remarks,
                          command.source_system, command.message_id),)


def _decide_cancellation(invoice: Invoice, command: DecideCancellation, event_id: str) -> tuple[InvoiceEvent, ...]:
    if invoice.cancellation is None or invoice.cancellation.outcome is not CancellationOutcome.PENDING:
        raise DomainError(ErrorKey.ESTADO_ACTUALIZACION,
                          f"La factura {invoice.id} no tiene una anulación pendiente de decisión.")
    event = CancellationAccepted if command.accepted else CancellationRejected
    return (event(event_id, command.invoice_id, command.occurred_at, command.reason, command.source_system,
                  command.message_id),)


_DECIDERS = {SetState: _set_state, DecideCancellation: _decide_cancellation}


def decide(invoice: Invoice | None, command: BackOfficeCommand, event_id: str) -> tuple[InvoiceEvent, ...]:
    """The events a command yields now: none for a message already in the log; DomainError when refused."""
    if invoice is None:
        raise DomainError(ErrorKey.ESTADO_ACTUALIZACION, f"La factura {command.invoice_id} no está registrada.")
    if command.message_id in invoice.seen_messages:
        return ()
    return _DECIDERS[type(command)](invoice, command, event_id)


def refused_in_log(invoice: Invoice, command: BackOfficeCommand) -> DomainError:
    """The refusal of a message the log holds but the fold ignored (another event got there first)."""
    return DomainError(ErrorKey.ESTADO_ACTUALIZACION,
                       f"El mensaje {command.message_id} llegó cuando la factura ya estaba en estado "
                       f"{invoice.state.value}; no se aplicó.")

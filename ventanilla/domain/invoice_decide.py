"""decide(state, command) -> events for the invoice aggregate: every writer's one judge; DomainError when refused."""
from __future__ import annotations

from ventanilla.domain import invoice_commands as cmd
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import (
    BackOfficeReportRefused,
    CancellationAccepted,
    CancellationRejected,
    CancellationRequested,
    InvoiceEvent,
    InvoiceRegistered,
    StatusChanged,
)
from ventanilla.domain.invoice import CancellationOutcome, Invoice
from ventanilla.domain.lifecycle import check_cancellation, check_status_change


def _event_id(command, index: int = 0) -> str:
    if not command.command_id:
        raise ValueError("a command needs its command_id before it is decided")
    return f"{command.command_id}:{index}"


def _register(invoice: Invoice | None, command: cmd.Register) -> tuple[InvoiceEvent, ...]:
    if invoice is not None:  # the claim hands out each id once: a second registration is a wiring fault
        raise DomainError(ErrorKey.REGISTRO, f"La factura {command.invoice_id} ya está registrada.")
    reg = command.registration
    return (InvoiceRegistered(_event_id(command), reg.id, reg.registered_at, reg),)


def _request_cancellation(invoice: Invoice | None, command: cmd.RequestCancellation) -> tuple[InvoiceEvent, ...]:
    if invoice is None:
        raise DomainError(ErrorKey.FACTURA_INVALIDA)
    check_cancellation(invoice.state, invoice.cancellation is not None, command.reason)
    return (CancellationRequested(_event_id(command), command.invoice_id, command.at, command.reason.strip(),
                                  command.requested_by_nif),)


def _set_state(invoice: Invoice, command: cmd.SetState) -> tuple[InvoiceEvent, ...]:
    check_status_change(invoice, command.state)
    return (StatusChanged(_event_id(command), command.invoice_id, command.occurred_at, command.state,
                          command.remarks, command.source_system, command.message_id),)


def _decide_cancellation(invoice: Invoice, command: cmd.DecideCancellation) -> tuple[InvoiceEvent, ...]:
    if invoice.cancellation is None or invoice.cancellation.outcome is not CancellationOutcome.PENDING:
        raise DomainError(ErrorKey.ESTADO_ACTUALIZACION,
                          f"La factura {invoice.id} no tiene una anulación pendiente de decisión.")
    event = CancellationAccepted if command.accepted else CancellationRejected
    return (event(_event_id(command), command.invoice_id, command.occurred_at, command.reason,
                  command.source_system, command.message_id),)


def refused_in_log(invoice: Invoice, command: cmd.BackOfficeCommand) -> DomainError:
    """The refusal of a message the log holds but the fold ignored (another event got there first)."""
    return DomainError(ErrorKey.ESTADO_ACTUALIZACION,
                       f"El mensaje {command.message_id} llegó cuando la factura ya estaba en estado "
                       f"{invoice.state.value}; no se aplicó.")


def _report(invoice: Invoice | None, command: cmd.BackOfficeCommand) -> tuple[InvoiceEvent, ...]:
    """A back-office report: judged now; one already in the log yields nothing, or, when the fold ignored it at
    its place (another writer got there first) and no refusal is recorded yet, the refusal as an event."""
    if invoice is None:
        raise DomainError(ErrorKey.ESTADO_ACTUALIZACION, f"La factura {command.invoice_id} no está registrada.")
    if command.message_id not in invoice.seen_messages:
        return _set_state(invoice, command) if isinstance(command, cmd.SetState) else _decide_cancellation(
            invoice, command)
    if invoice.applied(command.message_id) or command.message_id in invoice.refused_messages:
        return ()
    return (BackOfficeReportRefused(_event_id(command), command.invoice_id, command.occurred_at,
                                    refused_in_log(invoice, command).detail, command.source_system,
                                    command.message_id),)


_DECIDERS = {
    cmd.Register: _register,
    cmd.RequestCancellation: _request_cancellation,
    cmd.SetState: _report,
    cmd.DecideCancellation: _report,
}


def decide(invoice: Invoice | None, command: cmd.InvoiceCommand) -> tuple[InvoiceEvent, ...]:
    """The events a command yields against the invoice's state now (None: not registered); DomainError if refused."""
    return _DECIDERS[type(command)](invoice, command)

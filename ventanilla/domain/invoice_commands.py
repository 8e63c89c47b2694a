"""What is asked of the invoice aggregate: register, cancel, and the back offices' reports."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ventanilla.domain.invoice import RegisteredInvoice, State


@dataclass(frozen=True)
class Register:
    """Record a registration whose business key is claimed and whose documents are durable."""

    command_id: str
    registration: RegisteredInvoice

    @property
    def invoice_id(self) -> int:
        """The id the claim handed out."""
        return self.registration.id


@dataclass(frozen=True)
class RequestCancellation:
    """The supplier (or its submitter) asks to cancel an invoice (anularFactura)."""

    command_id: str
    invoice_id: int
    at: datetime
    reason: str
    requested_by_nif: str


@dataclass(frozen=True)
class SetState:
    """A back office asks to move an invoice to a processing state."""

    invoice_id: int
    state: State
    remarks: str
    message_id: str
    occurred_at: datetime
    source_system: str
    command_id: str = field(default="", compare=False)  # set by the handler: the message's fields are the command


@dataclass(frozen=True)
class DecideCancellation:
    """A back office accepts or rejects the invoice's pending cancellation."""

    invoice_id: int
    accepted: bool
    reason: str
    message_id: str
    occurred_at: datetime
    source_system: str
    command_id: str = field(default="", compare=False)  # set by the handler: the message's fields are the command


BackOfficeCommand = SetState | DecideCancellation
InvoiceCommand = Register | RequestCancellation | SetState | DecideCancellation

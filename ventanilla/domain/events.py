"""Past-tense facts about invoices, each with a stable type name and version."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ventanilla.domain.invoice import RegisteredInvoice, State


@dataclass(frozen=True)
class InvoiceRegistered:
    """An invoice was registered: the supplier holds a receipt for it."""

    TYPE = "ventanilla.invoice.registered"
    VERSION = 2

    event_id: str
    invoice_id: int
    occurred_at: datetime
    invoice: RegisteredInvoice


@dataclass(frozen=True)
class StatusChanged:
    """The back office moved the invoice to a new processing state."""

    TYPE = "ventanilla.invoice.status_changed"
    VERSION = 1

    event_id: str
    invoice_id: int
    occurred_at: datetime
    state: State
    remarks: str
    source_system: str
    message_id: str


@dataclass(frozen=True)
class CancellationRequested:
    """The supplier asked to cancel the invoice; it shows ANULADA from now on."""

    TYPE = "ventanilla.invoice.cancellation_requested"
    VERSION = 1

    event_id: str
    invoice_id: int
    occurred_at: datetime
    reason: str
    requested_by_nif: str


@dataclass(frozen=True)
class CancellationRejected:
    """The back office refused a cancellation: the invoice shows its processing state again."""

    TYPE = "ventanilla.invoice.cancellation_rejected"
    VERSION = 1

    event_id: str
    invoice_id: int
    occurred_at: datetime
    reason: str
    source_system: str
    message_id: str


@dataclass(frozen=True)
class CancellationAccepted:
    """The back office confirmed a cancellation: the invoice is ANULADA for good."""

    TYPE = "ventanilla.invoice.cancellation_accepted"
    VERSION = 1

    event_id: str
    invoice_id: int
    occurred_at: datetime
    reason: str
    source_system: str
    message_id: str


@dataclass(frozen=True)
class BackOfficeReportRefused:
    """A back-office report in the log came too late to apply (another writer's event got there first).

    Its StatusChanged or verdict stays in the log and changes nothing; this records that, with the reason the
    back office was given on the feedback topic.
    """

    TYPE = "ventanilla.invoice.backoffice_report_refused"
    VERSION = 1

    event_id: str
    invoice_id: int
    occurred_at: datetime
    reason: str
    source_system: str
    message_id: str


InvoiceEvent = (
    InvoiceRegistered | StatusChanged | CancellationRequested | CancellationRejected | CancellationAccepted
    | BackOfficeReportRefused
)

"""Builders of domain objects for unit tests."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from ventanilla.domain.events import (
    BackOfficeReportRefused,
    CancellationAccepted,
    CancellationRejected,
    CancellationRequested,
    InvoiceRegistered,
    StatusChanged,
)
from ventanilla.domain.invoice import Centres, DocumentRef, InvoiceKey, RegisteredInvoice, State

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def registration(invoice_id: int = 7, submitter: str = "B12345678") -> RegisteredInvoice:
    """A registration with fixed, realistic values."""
    return RegisteredInvoice(
        id=invoice_id,
        key=InvoiceKey("B12345678", 2026, "A-", "0042"),
        customer_nif="Q3500001G",
        issue_date=date(2026, 2, 27),
        signed_at=T0 - timedelta(hours=2),
        currency="EUR",
        total=Decimal("1210.00"),
        payable=Decimal("1089.00"),
        facturae_version="3.2.2",
        registered_at=T0,
        centres=Centres("A05003638", "A05003638", "A05003638", ""),
        treasury_key="",
        facturae=DocumentRef("ab" * 32, 12345, "facturae.xml", "application/xml"),
        receipt=DocumentRef("cd" * 32, 2345, "comprobante-7.pdf", "application/pdf"),
        submitter_nif=submitter,
        attachments=(DocumentRef("ef" * 32, 99, "albaran.pdf", ""),),
    )


def registered(invoice_id: int = 7) -> InvoiceRegistered:
    """The registration event."""
    return InvoiceRegistered("e-reg", invoice_id, T0, registration(invoice_id))


def changed(state: State, minutes: int = 1, invoice_id: int = 7) -> StatusChanged:
    """A back-office status change some minutes after registration."""
    return StatusChanged(f"e-{state.value}-{minutes}", invoice_id, T0 + timedelta(minutes=minutes),
                         state, f"observaciones {state.value}", "rcf-canarias", f"m-{minutes}")


def cancel_requested(minutes: int = 1, invoice_id: int = 7) -> CancellationRequested:
    """A supplier's cancellation request."""
    return CancellationRequested(f"e-cancel-{minutes}", invoice_id, T0 + timedelta(minutes=minutes),
                                 "Error en el centro gestor", "B12345678")


def cancel_rejected(minutes: int = 2, invoice_id: int = 7) -> CancellationRejected:
    """The back office's refusal of a cancellation."""
    return CancellationRejected(f"e-rej-{minutes}", invoice_id, T0 + timedelta(minutes=minutes),
                                "Ya contabilizada", "rcf-canarias", f"v-{minutes}")


def cancel_accepted(minutes: int = 2, invoice_id: int = 7) -> CancellationAccepted:
    """The back office's confirmation of a cancellation."""
    return CancellationAccepted(f"e-acc-{minutes}", invoice_id, T0 + timedelta(minutes=minutes),
                                "Conforme", "rcf-canarias", f"v-{minutes}")


def report_refused(message_id: str = "m-2", minutes: int = 3, invoice_id: int = 7) -> BackOfficeReportRefused:
    """The refusal of a back-office report that lost a race in the log."""
    return BackOfficeReportRefused(f"e-refused-{minutes}", invoice_id, T0 + timedelta(minutes=minutes),
                                   "El mensaje m-2 llegó cuando la factura ya estaba en estado ANULADA; no se aplicó.",
                                   "rcf-canarias", message_id)

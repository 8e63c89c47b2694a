"""Translation between domain invoices and their protobuf messages."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from ventanilla.api.v1 import invoice_pb2 as pb
from ventanilla.domain.invoice import (
    Cancellation,
    CancellationOutcome,
    Centres,
    Channel,
    DocumentRef,
    Invoice,
    InvoiceKey,
    InvoiceTuple,
    RegisteredInvoice,
    State,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def timestamp(moment: datetime | None) -> Timestamp | None:
    """A protobuf Timestamp for an aware datetime (None stays None)."""
    if moment is None:
        return None
    elapsed = moment.astimezone(timezone.utc) - _EPOCH  # what Timestamp.FromDatetime computes, without its time tuple
    return Timestamp(seconds=elapsed.days * 86_400 + elapsed.seconds, nanos=elapsed.microseconds * 1000)


def moment(stamp: Timestamp, present: bool = True) -> datetime | None:
    """An aware UTC datetime from a Timestamp, None when the field is unset."""
    if not present:
        return None  # Timestamp.ToDatetime is exact too, but validates and converts through several steps
    return _EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)


def state_to_pb(state: State) -> int:
    """The protobuf enum value of a state."""
    return pb.InvoiceState.Value(state.value)


def state_from_pb(value: int) -> State:
    """The domain state of a protobuf enum value."""
    return State(pb.InvoiceState.Name(value))


def _ref_from_pb(ref) -> DocumentRef:
    return DocumentRef(ref.sha256, ref.size, ref.name, ref.media_type)


def _ref_fields(ref: DocumentRef) -> dict:
    return {"sha256": ref.sha256, "size": ref.size, "name": ref.name, "media_type": ref.media_type}


def centres_to_pb(centres: Centres) -> pb.AdministrativeCentres:
    """The DIR3 centres as their message."""
    return pb.AdministrativeCentres(oficina_contable=centres.oficina_contable, organo_gestor=centres.organo_gestor,
                                    unidad_tramitadora=centres.unidad_tramitadora,
                                    organo_proponente=centres.organo_proponente)



def channel_fields(channel: Channel | None) -> dict[str, str]:
    """The integrator_nif and platform_id fields of a registration message (none without a channel)."""
    return {"integrator_nif": channel.integrator_nif, "platform_id": channel.platform_id} if channel else {}


def channel_of(message) -> Channel | None:
    """The channel a registration message records; None when it records none (open mode, older payloads)."""
    return Channel(message.integrator_nif, message.platform_id) if message.integrator_nif else None


def registration_fields(reg: RegisteredInvoice) -> dict:
    """The registration facts as keyword arguments of a message that records them: the answer Invoice or the log's
    facts (events.proto's InvoiceRegisteredV2); both name the fields alike and neither carries the id."""
    centres = reg.centres
    fields = {
        "key": {"supplier_nif": reg.key.supplier_nif, "year": reg.key.year, "series": reg.key.series,
                "number": reg.key.number},
        "customer_nif": reg.customer_nif, "issue_date": reg.issue_date.isoformat(), "currency": reg.currency,
        "total": str(reg.total), "payable": str(reg.payable), "facturae_version": reg.facturae_version,
        "centres": {"oficina_contable": centres.oficina_contable, "organo_gestor": centres.organo_gestor,
                    "unidad_tramitadora": centres.unidad_tramitadora, "organo_proponente": centres.organo_proponente},
        "treasury_key": reg.treasury_key, "facturae": _ref_fields(reg.facturae),
        "attachments": [_ref_fields(a) for a in reg.attachments], "receipt": _ref_fields(reg.receipt),
        "submitter_nif": reg.submitter_nif, "registered_at": timestamp(reg.registered_at),
        **channel_fields(reg.channel),
    }
    if reg.signed_at is not None:
        fields["signed_at"] = timestamp(reg.signed_at)
    return fields


def registration_to_pb(reg: RegisteredInvoice) -> pb.Invoice:
    """The registration facts as a protobuf Invoice (state fields left empty)."""
    return pb.Invoice(id=reg.id, **registration_fields(reg))


def registration_from_pb(message, invoice_id: int) -> RegisteredInvoice:
    """The registration a message records (an answer Invoice, or the log's facts whose id is the envelope's)."""
    key, centres = message.key, message.centres
    return RegisteredInvoice(
        id=invoice_id,
        key=InvoiceKey(key.supplier_nif, key.year, key.series, key.number),
        customer_nif=message.customer_nif,
        issue_date=date.fromisoformat(message.issue_date),
        signed_at=moment(message.signed_at, message.HasField("signed_at")),
        currency=message.currency,
        total=Decimal(message.total),
        payable=Decimal(message.payable),
        facturae_version=message.facturae_version,
        registered_at=moment(message.registered_at),
        centres=Centres(centres.oficina_contable, centres.organo_gestor, centres.unidad_tramitadora,
                        centres.organo_proponente),
        treasury_key=message.treasury_key,
        facturae=_ref_from_pb(message.facturae),
        receipt=_ref_from_pb(message.receipt),
        submitter_nif=message.submitter_nif,
        channel=channel_of(message),
        attachments=tuple(_ref_from_pb(a) for a in message.attachments),
    )


def invoice_to_pb(invoice: Invoice) -> pb.Invoice:
    """The full answer shape of an invoice: registration facts plus current state."""
    message = registration_to_pb(invoice.registration)
    message.state = state_to_pb(invoice.state)
    message.state_remarks = invoice.state_remarks
    if invoice.cancellation is not None:
        message.cancellation_reason = invoice.cancellation.reason
        message.cancellation_requested_at.CopyFrom(timestamp(invoice.cancellation.requested_at))
        message.cancellation_refused = invoice.state is not State.ANULADA
    return message


def invoice_from_pb(message: pb.Invoice) -> Invoice:
    """The invoice an answer shows, as the domain holds it: what a cancellation is judged on.

    An answer does not tell a pending cancellation from an accepted one (both show ANULADA, taken as pending) nor
    the processing state behind ANULADA (taken as REGISTRADA); invoice_to_pb gives the same answer back.
    """
    shown = state_from_pb(message.state)
    cancellation = None
    if message.cancellation_reason:
        outcome = CancellationOutcome.REJECTED if message.cancellation_refused else CancellationOutcome.PENDING
        cancellation = Cancellation(message.cancellation_reason, moment(message.cancellation_requested_at), outcome)
    processing = State.REGISTRADA if shown is State.ANULADA else shown
    return Invoice(registration_from_pb(message, message.id), processing, message.state_remarks, cancellation)


def tuple_from_pb(message: pb.InvoiceTuple) -> InvoiceTuple:
    """A domain tuple query from its protobuf form."""
    issue_date = date.fromisoformat(message.issue_date) if message.issue_date else None
    year = issue_date.year if issue_date else message.year
    return InvoiceTuple(message.supplier_nif, year, message.series, message.number, issue_date)

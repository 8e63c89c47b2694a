"""The registration facts in the log: domain registrations to and from the frozen v2 payload, and v1 upcast to v2."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ventanilla.adapters.invoice_messages import channel_fields, channel_of, moment, timestamp
from ventanilla.api.v1 import events_pb2 as pb
from ventanilla.domain.invoice import Centres, DocumentRef, InvoiceKey, RegisteredInvoice

Facts = pb.InvoiceRegisteredV2


def _document_to_pb(ref: DocumentRef) -> Facts.Document:
    return Facts.Document(sha256=ref.sha256, size=ref.size, name=ref.name, media_type=ref.media_type)


def _document_from_pb(ref) -> DocumentRef:
    return DocumentRef(ref.sha256, ref.size, ref.name, ref.media_type)


def facts_to_pb(reg: RegisteredInvoice) -> Facts:
    """The v2 payload of a registration (its id travels in the envelope)."""
    message = Facts(
        key=Facts.Key(supplier_nif=reg.key.supplier_nif, year=reg.key.year, series=reg.key.series,
                      number=reg.key.number),
        customer_nif=reg.customer_nif, issue_date=reg.issue_date.isoformat(), currency=reg.currency,
        total=str(reg.total), payable=str(reg.payable), facturae_version=reg.facturae_version,
        centres=Facts.Centres(oficina_contable=reg.centres.oficina_contable, organo_gestor=reg.centres.organo_gestor,
                              unidad_tramitadora=reg.centres.unidad_tramitadora,
                              organo_proponente=reg.centres.organo_proponente),
        treasury_key=reg.treasury_key, facturae=_document_to_pb(reg.facturae),
        attachments=[_document_to_pb(a) for a in reg.attachments], receipt=_document_to_pb(reg.receipt),
        submitter_nif=reg.submitter_nif,
        **channel_fields(reg.channel),
    )
    message.registered_at.CopyFrom(timestamp(reg.registered_at))
    if reg.signed_at is not None:
        message.signed_at.CopyFrom(timestamp(reg.signed_at))
    return message


def facts_from_pb(invoice_id: int, message: Facts) -> RegisteredInvoice:
    """The registration a v2 payload records, under the envelope's invoice id."""
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
        facturae=_document_from_pb(message.facturae),
        receipt=_document_from_pb(message.receipt),
        submitter_nif=message.submitter_nif,
        channel=channel_of(message),
        attachments=tuple(_document_from_pb(a) for a in message.attachments),
    )


def upcast_v1(message: pb.InvoiceRegistered) -> Facts:
    """A v1 payload (the answer message Invoice) as the v2 facts: the facts kept, the query fields dropped.

    The key, centres and documents of v2 number their fields as invoice.proto's InvoiceKey,
    AdministrativeCentres and BlobRef did, so each is carried over by its bytes.
    """
    old = message.invoice
    facts = Facts(
        key=_rewire(Facts.Key, old.key), customer_nif=old.customer_nif, issue_date=old.issue_date,
        currency=old.currency, total=old.total, payable=old.payable, facturae_version=old.facturae_version,
        centres=_rewire(Facts.Centres, old.centres), treasury_key=old.treasury_key,
        facturae=_rewire(Facts.Document, old.facturae), attachments=[_rewire(Facts.Document, a) for a in old.attachments],
        receipt=_rewire(Facts.Document, old.receipt), submitter_nif=old.submitter_nif,
    )
    facts.registered_at.CopyFrom(old.registered_at)
    if old.HasField("signed_at"):
        facts.signed_at.CopyFrom(old.signed_at)
    return facts


def _rewire(cls, message):
    return cls.FromString(message.SerializeToString())

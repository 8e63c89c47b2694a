"""The registration facts in the log: domain registrations to the frozen v2 payload (back with
invoice_messages.registration_from_pb), and v1 upcast to v2."""
from __future__ import annotations

from ventanilla.adapters.invoice_messages import registration_fields
from ventanilla.api.v1 import events_pb2 as pb
from ventanilla.domain.invoice import RegisteredInvoice

Facts = pb.InvoiceRegisteredV2


def facts_to_pb(reg: RegisteredInvoice) -> Facts:
    """The v2 payload of a registration (its id travels in the envelope)."""
    return Facts(**registration_fields(reg))


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

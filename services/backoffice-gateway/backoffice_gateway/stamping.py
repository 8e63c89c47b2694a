"""The record the gateway appends: a back office's message, stamped with who sent it (BackOfficeMessage v2)."""
from __future__ import annotations

from ventanilla.adapters.invoice_messages import timestamp
from ventanilla.api.v1 import backoffice_pb2 as pb
from backoffice_gateway.ports import Stamp

STAMPED_VERSION = 2


def stamped(body: str, message, stamp: Stamp) -> pb.BackOfficeMessage:
    """The record for `message` (the BackOfficeMessage field `body` holds): its source_system and message_id the
    stamp's, its occurred_at the stamp's receipt time when the sender gave none, and the sender."""
    copy = type(message)()
    copy.CopyFrom(message)
    copy.source_system = stamp.platform_id
    copy.message_id = stamp.message_id
    if not copy.HasField("occurred_at"):
        copy.occurred_at.CopyFrom(timestamp(stamp.received_at))
    sender = pb.Sender(platform_id=stamp.platform_id, integrator_nif=stamp.integrator_nif,
                       certificate_sha256=stamp.certificate_sha256)
    return pb.BackOfficeMessage(sender=sender, version=STAMPED_VERSION, **{body: copy})

"""Registration notices for the back offices, derived from the invoice log (one per InvoiceRegistered)."""
from __future__ import annotations

import logging

from ventanilla.adapters.event_codec import UnknownEventType, decode
from ventanilla.adapters.invoice_messages import timestamp
from ventanilla.adapters.publisher import Publisher
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import invoice_pb2
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.domain.invoice import DocumentRef, RegisteredInvoice

log = logging.getLogger("status.notices")

HEADERS = ("oficina-contable", "organo-gestor", "unidad-tramitadora")
PLATFORM_HEADER = "ventanilla-platform"  # the RCF platform a notice or a refusal is for (one header per platform)


def _ref(ref: DocumentRef) -> invoice_pb2.BlobRef:
    return invoice_pb2.BlobRef(sha256=ref.sha256, size=ref.size, name=ref.name, media_type=ref.media_type)


def notice_of(reg: RegisteredInvoice) -> tuple[bytes, list[tuple[str, bytes]], bytes]:
    """The notice record of a registration: key (oficina contable), DIR3 headers, value."""
    c = reg.centres
    message = pb.InvoiceRegisteredNotice(
        invoice_id=reg.id,
        key=invoice_pb2.InvoiceKey(supplier_nif=reg.key.supplier_nif, year=reg.key.year, series=reg.key.series,
                                   number=reg.key.number),
        centres=invoice_pb2.AdministrativeCentres(oficina_contable=c.oficina_contable, organo_gestor=c.organo_gestor,
                                                  unidad_tramitadora=c.unidad_tramitadora,
                                                  organo_proponente=c.organo_proponente),
        customer_nif=reg.customer_nif, issue_date=reg.issue_date.isoformat(), currency=reg.currency,
        total=str(reg.total), payable=str(reg.payable), facturae_version=reg.facturae_version,
        registered_at=timestamp(reg.registered_at), facturae=_ref(reg.facturae),
        attachments=[_ref(a) for a in reg.attachments], treasury_key=reg.treasury_key,
    )
    headers = [(f"ventanilla-{name}", code.encode()) for name, code in
               zip(HEADERS, (c.oficina_contable, c.organo_gestor, c.unidad_tramitadora))]
    headers.append(("ventanilla-invoice-id", str(reg.id).encode("ascii")))
    return c.oficina_contable.encode(), headers, message.SerializeToString()


class Notifier:
    """Publishes a notice for every registration in the invoice log; flushes before the batch is committed."""

    def __init__(self, publisher: Publisher, topic: str, owners=None, published=None):
        self._publisher, self._topic, self._owners = publisher, topic, owners
        self._published = published  # ventanilla_backoffice_notices_published_total, when metrics are kept
        self._pending: list = []

    def begin(self) -> None:
        """Wait for the integrators directory (who owns which unit) to catch up: raise, the loop retries."""
        if self._owners is not None and not self._owners.ready():
            raise RuntimeError("the integrators directory has not caught up with its topic")

    def handle(self, value: bytes) -> bool:
        """Queue the notice of a registration record; False for any other record."""
        try:
            event = decode(value)
        except UnknownEventType:
            return False
        if not isinstance(event, InvoiceRegistered):
            return False
        key, headers, message = notice_of(event.invoice)
        if self._owners is not None:  # the platforms holding the unit when it was registered: the notice is theirs
            unit, at = event.invoice.centres.oficina_contable, event.invoice.registered_at
            headers += [(PLATFORM_HEADER, p.encode()) for p in sorted(self._owners.owners_of_unit(unit, at))]
        self._pending.append(self._publisher.send(self._topic, key, message, headers))
        log.info("notice queued", extra={"invoice_id": event.invoice_id})
        return True

    def end(self) -> None:
        """Wait until every queued notice is acknowledged (then the loop commits); raise if one failed."""
        pending, self._pending = self._pending, []
        self._publisher.flush()
        for future in pending:
            future.get(timeout=0)
        if self._published is not None and pending:
            self._published.inc(len(pending))

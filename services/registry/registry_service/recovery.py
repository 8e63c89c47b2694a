"""The claims store caught up with the log before the registry serves: a store restored from an old backup
gets back every registration the log holds past its checkpoint, so no id or key is handed out twice."""
from __future__ import annotations

import io
import logging
import re
import threading
import time
from dataclasses import dataclass

from ventanilla.adapters.blob_store import BlobStore
from ventanilla.adapters.claims import RestoredClaim
from ventanilla.adapters.event_codec import decode
from ventanilla.adapters.log_reader import read_to_end
from ventanilla.domain.events import InvoiceRegistered

log = logging.getLogger("registry.recovery")
_CSV_SUBJECT = re.compile(r"CSV ([A-Z2-7]{24})")  # receipt.render_receipt writes the CSV as the PDF's Subject


def csv_of(receipt_pdf: bytes) -> str | None:
    """The secure verification code a sealed receipt carries in its metadata, None when unreadable."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        subject = str(PdfFileReader(io.BytesIO(receipt_pdf), strict=False).trailer_view["/Info"]["/Subject"])
    except Exception:  # noqa: BLE001 - a damaged receipt leaves the claim without its CSV, nothing worse
        return None
    found = _CSV_SUBJECT.fullmatch(subject)
    return found.group(1) if found else None


@dataclass(frozen=True)
class CatchUpReport:
    """What one catch-up read and restored."""

    records: int
    restored: int
    highest_id: int
    seconds: float


class ClaimsCatchUp:
    """Reads the invoice log from the store's checkpoint to its end into the claims store."""

    def __init__(self, claims, blobs: BlobStore, bootstrap_servers: str, topic: str):
        self._claims = claims
        self._blobs = blobs
        self._bootstrap_servers = bootstrap_servers
        self._topic = topic

    def __call__(self) -> CatchUpReport:
        """Restore the registrations the store lacks, batch by batch, then move its checkpoint to the end read."""
        started, records, restored, highest, ends = time.monotonic(), 0, 0, 0, {}
        try:
            for batch in read_to_end(self._bootstrap_servers, self._topic, ends_seen=ends,
                                     start=self._claims.log_checkpoint(self._topic)):
                events = [decode(record.value) for record in batch]
                records += len(events)
                highest = max([highest, *(event.invoice_id for event in events)])
                restored += self._restore([e for e in events if isinstance(e, InvoiceRegistered)])
        except LookupError:  # no topic yet: no registration anywhere to catch up with
            log.warning("the invoice log does not exist yet: nothing to catch up", extra={"topic": self._topic})
        self._claims.save_log_checkpoint(self._topic, ends)
        report = CatchUpReport(records, restored, highest, time.monotonic() - started)
        (log.warning if restored else log.info)("claims caught up with the log", extra=report.__dict__)
        return report

    def _restore(self, registrations: list[InvoiceRegistered]) -> int:
        """Claims for the registrations (one transaction); the CSV read from the receipt of those the store lacks."""
        if not registrations:
            return 0
        known = self._claims.known([event.invoice_id for event in registrations])
        return self._claims.restore([
            RestoredClaim(e.invoice.id, e.invoice.key.canonical(), e.invoice.issue_date, e.invoice.facturae.sha256,
                          e.invoice.registered_at, None if e.invoice_id in known else self._csv(e),
                          e.invoice.receipt.sha256)
            for e in registrations])

    def _csv(self, event: InvoiceRegistered) -> str | None:
        try:
            csv = csv_of(self._blobs.get(event.invoice.receipt.sha256))
        except KeyError:
            csv = None
        if csv is None:
            log.warning("claim restored without its CSV (receipt unreadable)", extra={"invoice_id": event.invoice_id})
        return csv

    def every(self, interval_s: float, stopping: threading.Event) -> threading.Thread:
        """Catch up again every interval (it moves the checkpoint a backup will start from) until stopping."""
        def run() -> None:
            while not stopping.wait(interval_s):
                try:
                    self()
                except Exception:  # noqa: BLE001 - the next round tries again; startup already caught up
                    log.warning("periodic claims catch-up failed", exc_info=True)
        thread = threading.Thread(target=run, name="claims-catch-up", daemon=True)
        thread.start()
        return thread

"""The submission use case: validate, claim the business key, store, append, issue the receipt."""
from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable, Protocol

from ventanilla.adapters.blob_store import BlobStore
from ventanilla.adapters.event_log import Position
from ventanilla.domain.access import check_submitter
from ventanilla.adapters.log_lookup import Found
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.domain.invoice import Centres, DocumentRef, InvoiceKey, RegisteredInvoice
from ventanilla.facturae.intake import FacturaeIntake
from registry_service.attachments import AttachmentLimits, Upload, check_attachments
from registry_service.receipt import new_csv

log = logging.getLogger("registry.submit")


@dataclass(frozen=True)
class Registration:
    """What a successful submission returns."""

    invoice: RegisteredInvoice
    receipt_pdf: bytes
    csv: str
    position: Position


class Claims(Protocol):
    """Business-key claims with a unique constraint; receipts filed by CSV once registered."""

    def claim(self, key, issue_date, facturae_sha256, now, csv=None) -> int: ...
    def confirm(self, invoice_id: int, csv: str | None, receipt_sha256: str) -> None: ...
    def stale_pending(self, key, before: datetime) -> tuple[int, datetime] | None: ...
    def release(self, invoice_id: int) -> None: ...
    def receipt_of(self, csv: str) -> str | None: ...


class Log(Protocol):
    """The invoice event log."""

    def append(self, event) -> Position: ...


class Registrar:
    """Registers invoices: nothing is registered whose documents are not durable."""

    def __init__(self, intake: FacturaeIntake, claims: Claims, blobs: BlobStore, log: Log,
                 issue_receipt: Callable[[RegisteredInvoice, str, tuple[str, str]], bytes], clock,
                 limits: AttachmentLimits = AttachmentLimits(),
                 lookup: Callable[[int, datetime], Found | bool | None] | None = None,
                 lease: timedelta = timedelta(seconds=60), third_party_billers: frozenset[str] = frozenset()):
        self._intake = intake
        self._third_party_billers = third_party_billers
        self._claims = claims
        self._blobs = blobs
        self._log = log
        self._issue_receipt = issue_receipt
        self._clock = clock
        self._limits = limits
        self._lookup = lookup
        self._lease = lease  # longer than any registration in progress can take

    def submit(self, submitter_nif: str, facturae: bytes, uploads: list[Upload]) -> Registration:
        """Register one Facturae with its attachments, or refuse it with a catalogue key."""
        now = self._clock.now()
        document = self._intake.accept(facturae, now)
        check_submitter(submitter_nif, document.supplier_nif, self._third_party_billers)
        media_types = check_attachments(uploads, self._limits)
        key = InvoiceKey(document.supplier_nif, document.issue_date.year, document.series, document.number)
        csv = new_csv()
        invoice_id = self._claim(key, document.issue_date, hashlib.sha256(facturae).hexdigest(), now, csv)
        try:
            prepared = self._store(invoice_id, submitter_nif, document, key, facturae,
                                   list(zip(uploads, media_types)), now, csv)
            registration = self._append(*prepared)
        except Exception:
            log.exception("registration failed; claim released", extra={"invoice_id": invoice_id})
            self._claims.release(invoice_id)
            raise DomainError(ErrorKey.REGISTRO) from None
        try:
            self._claims.confirm(invoice_id, registration.csv, registration.invoice.receipt.sha256)
        except Exception:  # noqa: BLE001 - the event is in the log: the invoice is registered regardless
            log.exception("registered, but the claim could not be confirmed (its CSV will not be found)",
                          extra={"invoice_id": invoice_id})
        return registration

    def receipt(self, csv: str) -> bytes | None:
        """The sealed receipt a CSV designates, None when there is none."""
        sha256 = self._claims.receipt_of(csv)
        return self._blobs.get(sha256) if sha256 else None

    def _claim(self, key: InvoiceKey, issue_date, facturae_sha256: str, now: datetime, csv: str) -> int:
        """Claim the key; a pending claim older than the lease is settled by the log first."""
        while True:
            try:
                return self._claims.claim(key, issue_date, facturae_sha256, now, csv)
            except DomainError as refusal:
                stale = self._claims.stale_pending(key, now - self._lease) if self._lookup else None
                if stale is None:
                    raise
                found = self._lookup(*stale)
                if found is None:
                    log.warning("a stale claim could not be settled: the log cannot be read", extra={"invoice_id": stale[0]})
                    raise DomainError(ErrorKey.REGISTRO) from None
                if found is False:
                    log.warning("stale claim released: its registration never reached the log",
                                extra={"invoice_id": stale[0]})
                    self._claims.release(stale[0])
                    continue
                log.warning("stale claim confirmed: its registration is in the log", extra={"invoice_id": stale[0]})
                self._claims.confirm(stale[0], None, found.event.invoice.receipt.sha256)
                raise refusal

    def _append(self, event: InvoiceRegistered, receipt_pdf: bytes, csv: str) -> Registration:
        """Append the event; when the broker reports a failure, believe the log rather than the report."""
        try:
            position = self._log.append(event)
        except Exception:
            found = self._lookup(event.invoice_id, event.occurred_at) if self._lookup else None
            if not isinstance(found, Found):
                raise
            log.warning("the append reported a failure, but the event is in the log",
                        extra={"invoice_id": event.invoice_id, "offset": found.position.offset})
            position = found.position
        log.info("registered", extra={"invoice_id": event.invoice_id, "partition": position.partition,
                                      "offset": position.offset})
        return Registration(event.invoice, receipt_pdf, csv, position)

    def _store(self, invoice_id, submitter_nif, document, key, facturae, uploads, now, csv):
        """Store the documents and the sealed receipt; the event that registers them."""
        facturae_ref = self._blobs.put(facturae, "facturae.xml", "application/xml")
        attachments = tuple(self._blobs.put(u.content, u.name, media) for u, media in uploads)
        invoice = RegisteredInvoice(
            id=invoice_id,
            key=key,
            customer_nif=document.customer_nif,
            issue_date=document.issue_date,
            signed_at=document.signing_time,
            currency=document.currency,
            total=document.total,
            payable=document.payable,
            facturae_version=document.facturae_version,
            registered_at=now,
            centres=Centres(
                document.centres.oficina_contable,
                document.centres.organo_gestor,
                document.centres.unidad_tramitadora,
                document.centres.organo_proponente or "",
            ),
            treasury_key=document.treasury_key or "",
            facturae=facturae_ref,
            receipt=DocumentRef("", 0),
            submitter_nif=submitter_nif,
            attachments=attachments,
        )
        receipt_pdf = self._issue_receipt(invoice, csv, (document.supplier_name, document.customer_name))
        invoice = replace(invoice, receipt=self._blobs.put(receipt_pdf, f"comprobante-{invoice_id}.pdf", "application/pdf"))
        return InvoiceRegistered(str(uuid.uuid4()), invoice_id, now, invoice), receipt_pdf, csv

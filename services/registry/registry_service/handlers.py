"""The submission use case: validate, claim the business key, store, append, issue the receipt."""
from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, replace
from typing import Callable, Protocol

from ventanilla.adapters.blob_store import BlobStore
from ventanilla.adapters.event_log import Position
from ventanilla.domain.access import check_submitter
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.domain.invoice import Centres, DocumentRef, InvoiceKey, RegisteredInvoice
from ventanilla.facturae.parser import parse_facturae
from ventanilla.facturae.rules import check_business_rules

log = logging.getLogger("registry.submit")


@dataclass(frozen=True)
class Upload:
    """One attachment as uploaded: its name and bytes."""

    name: str
    content: bytes


@dataclass(frozen=True)
class Registration:
    """What a successful submission returns."""

    invoice: RegisteredInvoice
    receipt_pdf: bytes
    position: Position


class Claims(Protocol):
    """Business-key claims with a unique constraint."""

    def claim(self, key, issue_date, facturae_sha256, now) -> int: ...
    def confirm(self, invoice_id: int) -> None: ...
    def release(self, invoice_id: int) -> None: ...


class Log(Protocol):
    """The invoice event log."""

    def append(self, event) -> Position: ...


def check_attachments(uploads: list[Upload]) -> None:
    """Every attachment needs a name and content."""
    for upload in uploads:
        if not upload.name.strip():
            raise DomainError(ErrorKey.ANEXO_SIN_NOMBRE)
        if not upload.content:
            raise DomainError(ErrorKey.ANEXO_SIN_CONTENIDO, f"El anexo «{upload.name}» está vacío.")


class Registrar:
    """Registers invoices: nothing is registered whose documents are not durable."""

    def __init__(self, claims: Claims, blobs: BlobStore, log: Log, render_receipt: Callable, clock,
                 third_party_billers: frozenset[str] = frozenset()):
        self._third_party_billers = third_party_billers
        self._claims = claims
        self._blobs = blobs
        self._log = log
        self._render_receipt = render_receipt
        self._clock = clock

    def submit(self, submitter_nif: str, facturae: bytes, uploads: list[Upload]) -> Registration:
        """Register one Facturae with its attachments, or refuse it with a catalogue key."""
        now = self._clock.now()
        document = parse_facturae(facturae)
        check_business_rules(document, now.date())
        check_submitter(submitter_nif, document.supplier_nif, self._third_party_billers)
        check_attachments(uploads)
        key = InvoiceKey(document.supplier_nif, document.issue_date.year, document.series, document.number)
        invoice_id = self._claims.claim(key, document.issue_date, hashlib.sha256(facturae).hexdigest(), now)
        try:
            registration = self._store_and_append(invoice_id, submitter_nif, document, key, facturae, uploads, now)
        except Exception:
            log.exception("registration failed; claim released", extra={"invoice_id": invoice_id})
            self._claims.release(invoice_id)
            raise DomainError(ErrorKey.REGISTRO) from None
        self._claims.confirm(invoice_id)
        return registration

    def _store_and_append(self, invoice_id, submitter_nif, document, key, facturae, uploads, now) -> Registration:
        facturae_ref = self._blobs.put(facturae, "facturae.xml", "application/xml")
        attachments = tuple(self._blobs.put(u.content, u.name) for u in uploads)
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
        receipt_pdf = self._render_receipt(invoice)
        invoice = replace(invoice, receipt=self._blobs.put(receipt_pdf, f"comprobante-{invoice_id}.pdf", "application/pdf"))
        event = InvoiceRegistered(str(uuid.uuid4()), invoice_id, now, invoice)
        position = self._log.append(event)
        log.info("registered", extra={"invoice_id": invoice_id, "partition": position.partition, "offset": position.offset})
        return Registration(invoice, receipt_pdf, position)

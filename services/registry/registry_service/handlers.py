"""The submission use case: validate, claim the business key, store, decide, append, confirm."""
from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, replace
from typing import Callable

from ventanilla.domain.access import check_integrator_submitter, check_submitter
from ventanilla.domain.errors import REGISTRATION_IN_DOUBT, DomainError, ErrorKey
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.domain.invoice import Centres, Channel, DocumentRef, InvoiceKey, RegisteredInvoice
from ventanilla.domain.invoice_commands import Register
from ventanilla.domain.invoice_decide import decide
from ventanilla.facturae.intake import FacturaeIntake
from ventanilla.ports import BlobStore, Claims, Clock, Log, Lookup, NotSent, Outcome, Position
from registry_service.attachments import AttachmentLimits, Upload, check_attachments
from registry_service.claiming import Claimer, Timing
from registry_service.receipt import new_csv
from registry_service.stages import Laps, Observe

log = logging.getLogger("registry.submit")
NO_TIME = "No queda tiempo para completar el registro antes del plazo de la llamada; vuelva a enviar la factura."


@dataclass(frozen=True)
class Registration:
    """What a successful submission returns."""

    invoice: RegisteredInvoice
    receipt_pdf: bytes
    csv: str
    position: Position


class Registrar:
    """Registers invoices: nothing is registered whose documents are not durable.

    Every answer is true when it is given: an id (the event is in the log), facturaRepetida (the
    key's registration is in the log), or facturae.error.registro (nothing registered; or, only when
    the log could not be read back before the deadline, not known yet: the claim then stays pending,
    so that the resubmission gets the one id or a definite answer, never a second id).
    """

    def __init__(self, intake: FacturaeIntake, claims: Claims, blobs: BlobStore, log: Log,
                 issue_receipt: Callable[[RegisteredInvoice, str, tuple[str, str]], bytes], clock: Clock,
                 limits: AttachmentLimits = AttachmentLimits(),
                 lookup: Lookup | None = None,
                 timing: Timing = Timing(), third_party_billers: frozenset[str] = frozenset(),
                 observe_stage: Observe | None = None):
        self._intake = intake
        self._observe_stage = observe_stage
        self._third_party_billers = third_party_billers
        self._claims = claims
        self._blobs = blobs
        self._log = log
        self._issue_receipt = issue_receipt
        self._clock = clock
        self._limits = limits
        self._timing = timing
        self._claimer = Claimer(claims, lookup, timing)

    def submit(self, submitter_nif: str, facturae: bytes, uploads: list[Upload],
               deadline: float | None = None, channel: Channel | None = None,
               third_party: bool = False) -> Registration:
        """Register one Facturae with its attachments by `deadline` (time.monotonic), or refuse it with a key.

        channel: the integrator platform the certificate is registered to (the edge's registered mode), whose
        integrator may submit its own invoices, or any seller's when it serves third parties.
        """
        laps = Laps(self._observe_stage)
        try:
            return self._submit(submitter_nif, facturae, uploads, deadline, channel, third_party, laps)
        finally:
            laps.done()

    def _submit(self, submitter_nif: str, facturae: bytes, uploads: list[Upload], deadline: float | None,
                channel: Channel | None, third_party: bool, laps: Laps) -> Registration:
        budget_end = time.monotonic() + self._timing.budget_s
        deadline = budget_end if deadline is None else min(deadline, budget_end)
        now = self._clock.now()
        document = self._intake.accept(facturae, now, laps.intake_step)
        if channel is None:
            check_submitter(submitter_nif, document.supplier_nif, self._third_party_billers)
        else:
            check_integrator_submitter(channel.integrator_nif, third_party, document.supplier_nif)
        media_types = check_attachments(uploads, self._limits)
        key = InvoiceKey(document.supplier_nif, document.issue_date.year, document.series, document.number)
        csv = new_csv()
        if deadline - time.monotonic() < self._timing.reserve_s:
            raise DomainError(ErrorKey.REGISTRO, NO_TIME)
        laps.lap("parse")
        invoice_id = self._claimer.claim(key.canonical(), document.issue_date, hashlib.sha256(facturae).hexdigest(), now, csv, deadline)
        laps.lap("claims")
        try:
            invoice, receipt_pdf = self._store(invoice_id, submitter_nif, document, key, facturae,
                                               list(zip(uploads, media_types)), now, csv, laps)
            invoice = replace(invoice, channel=channel)
            (event,) = decide(None, Register(str(uuid.uuid4()), invoice))
        except Exception:
            log.exception("registration failed before the append; claim released", extra={"invoice_id": invoice_id})
            self._claims.release(invoice_id)
            raise DomainError(ErrorKey.REGISTRO) from None
        laps.lap("storage")
        registration = self._append(event, receipt_pdf, csv, deadline)
        laps.lap("append")
        try:
            self._claims.confirm(invoice_id, registration.csv, registration.invoice.receipt.sha256)
        except Exception:  # noqa: BLE001 - the event is in the log: the invoice is registered regardless
            log.exception("registered, but the claim could not be confirmed (its CSV will not be found)",
                          extra={"invoice_id": invoice_id})
        laps.lap("claims")
        return registration

    def receipt(self, csv: str) -> bytes | None:
        """The sealed receipt a CSV designates, None when there is none."""
        sha256 = self._claims.receipt_of(csv)
        return self._blobs.get(sha256) if sha256 else None

    def _append(self, event: InvoiceRegistered, receipt_pdf: bytes, csv: str, deadline: float) -> Registration:
        """Append the event; when the broker reports a failure, believe the log rather than the report."""
        try:
            position = self._log.append(event)
        except NotSent:
            log.warning("the event was not sent; claim released", extra={"invoice_id": event.invoice_id}, exc_info=True)
            self._claims.release(event.invoice_id)
            raise DomainError(ErrorKey.REGISTRO) from None
        except Exception:
            log.warning("the append failed; reading the log back", extra={"invoice_id": event.invoice_id},
                        exc_info=True)
            found = self._claimer.read_back(event, deadline)
            if found.outcome is Outcome.ABSENT:
                log.warning("registration failed; claim released", extra={"invoice_id": event.invoice_id})
                self._claims.release(event.invoice_id)
                raise DomainError(ErrorKey.REGISTRO) from None
            if found.outcome is Outcome.UNKNOWN:
                log.error("registration in doubt (the log could not be read back in time); claim kept pending",
                          extra={"invoice_id": event.invoice_id})
                raise DomainError(ErrorKey.REGISTRO, REGISTRATION_IN_DOUBT) from None
            log.warning("the append reported a failure, but the event is in the log",
                        extra={"invoice_id": event.invoice_id, "offset": found.position.offset})
            position = found.position
        log.info("registered", extra={"invoice_id": event.invoice_id, "partition": position.partition,
                                      "offset": position.offset})
        return Registration(event.invoice, receipt_pdf, csv, position)

    def _store(self, invoice_id, submitter_nif, document, key, facturae, uploads, now,
               csv, laps: Laps) -> tuple[RegisteredInvoice, bytes]:
        """Store the documents and the sealed receipt: the registration that refers to them, and the receipt."""
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
        laps.lap("storage")
        receipt_pdf = self._issue_receipt(invoice, csv, (document.supplier_name, document.customer_name))
        laps.lap("receipt")
        invoice = replace(invoice, receipt=self._blobs.put(receipt_pdf, f"comprobante-{invoice_id}.pdf", "application/pdf"))
        return invoice, receipt_pdf

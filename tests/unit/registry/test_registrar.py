"""The submission use case's branches, on the in-memory log, claims and blobs (cosmicpython's test_handlers way).

The same branches against a real broker: tests/integration/test_registry*.py and test_append_recovery.py.
"""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from registry_service.claiming import Timing
from registry_service.handlers import NO_TIME, Registrar
from tests.support.invoice_fakes import FixedClock, MemoryBlobStore, MemoryClaims, MemoryLog
from tests.support.registry import FACE
from ventanilla.domain.errors import REGISTRATION_IN_DOUBT, DomainError, ErrorKey
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.domain.invoice import InvoiceKey
from ventanilla.facturae.intake import FacturaeIntake
from ventanilla.ports import IN_PROGRESS, NotSent

SELLER = "B23103039"  # the supplier of the FACe sample
KEY = InvoiceKey(SELLER, 2021, "", "TEST01002F").canonical()
LEASE = timedelta(seconds=80)


class Parts:
    """A registrar on fakes, and the fakes to look at."""

    def __init__(self, timing: Timing = Timing(budget_s=5.0, reserve_s=0.5, lease=LEASE)):
        self.log, self.claims, self.blobs, self.clock = MemoryLog(), MemoryClaims(), MemoryBlobStore(), FixedClock()
        self.registrar = Registrar(FacturaeIntake(None, None, require_signature=False), self.claims, self.blobs,
                                   self.log, self.receipt, self.clock, lookup=self.log.lookup, timing=timing,
                                   third_party_billers=frozenset({"A28000032"}))

    @staticmethod
    def receipt(invoice, csv, names) -> bytes:
        return f"%PDF receipt {invoice.id} {csv} {names[0]}".encode()

    def submit(self, nif: str = SELLER, uploads=(), within_s: float | None = None):
        deadline = None if within_s is None else time.monotonic() + within_s
        return self.registrar.submit(nif, FACE.read_bytes(), list(uploads), deadline)

    def refusal(self, **kwargs) -> DomainError:
        with pytest.raises(DomainError) as refused:
            self.submit(**kwargs)
        return refused.value

    def stale_claim(self) -> int:
        """A pending claim of the sample's key older than the lease: its registrar died long ago."""
        return self.claims.claim(KEY, FACE_ISSUE_DATE, "h", self.clock.now() - 2 * LEASE, "S" * 24)


FACE_ISSUE_DATE = FacturaeIntake(None, None, require_signature=False).accept(
    FACE.read_bytes(), FixedClock().now()).issue_date


@pytest.fixture
def parts() -> Parts:
    return Parts()


def test_a_registration_stores_the_documents_appends_one_event_and_files_the_receipt(parts):
    registration = parts.submit()
    (event,) = parts.log.events
    assert isinstance(event, InvoiceRegistered) and event.invoice == registration.invoice
    assert registration.position.offset == 0 and registration.invoice.registered_at == parts.clock.now()
    assert parts.blobs.get(registration.invoice.facturae.sha256) == FACE.read_bytes()
    assert parts.registrar.receipt(registration.csv) == registration.receipt_pdf
    assert parts.registrar.receipt("A" * 24) is None
    assert not parts.claims.is_pending(registration.invoice.id)


def test_a_second_submission_of_a_registered_invoice_is_facturarepetida_and_appends_nothing(parts):
    parts.submit()
    assert parts.refusal().key is ErrorKey.FACTURA_REPETIDA
    assert len(parts.log.events) == 1


def test_a_stale_claim_whose_registration_never_reached_the_log_is_released_and_the_key_registered(parts):
    stale = parts.stale_claim()
    registration = parts.submit()
    assert registration.invoice.id > stale and not parts.claims.is_pending(stale)
    assert parts.log.lookups == 1


def test_a_stale_claim_whose_registration_is_in_the_log_is_confirmed_and_answers_facturarepetida(parts):
    stale = parts.stale_claim()
    found = Parts().submit().invoice  # the registration the dead registrar wrote, under the stale claim's id
    parts.log.append(InvoiceRegistered("e-1", stale, parts.clock.now(), replace(found, id=stale)))
    assert parts.refusal().key is ErrorKey.FACTURA_REPETIDA
    assert not parts.claims.is_pending(stale) and len(parts.log.events) == 1


def test_a_stale_claim_is_not_taken_while_the_log_cannot_be_read(parts):
    stale = parts.stale_claim()
    parts.log.readable = False
    refusal = parts.refusal()
    assert (refusal.key, refusal.detail) == (ErrorKey.REGISTRO, IN_PROGRESS)
    assert parts.claims.is_pending(stale) and parts.log.events == []


def test_behind_a_pending_claim_the_submission_waits_then_answers_what_it_became(parts):
    held = parts.claims.claim(KEY, FACE_ISSUE_DATE, "h", parts.clock.now(), "S" * 24)
    confirming = threading.Timer(0.2, parts.claims.confirm, (held, None, "e" * 64))
    confirming.start()
    assert parts.refusal(within_s=4.0).key is ErrorKey.FACTURA_REPETIDA
    confirming.join()


def test_behind_a_pending_claim_released_meanwhile_the_submission_registers(parts):
    held = parts.claims.claim(KEY, FACE_ISSUE_DATE, "h", parts.clock.now(), "S" * 24)
    releasing = threading.Timer(0.2, parts.claims.release, (held,))
    releasing.start()
    assert parts.submit(within_s=4.0).invoice.id > held
    releasing.join()


def test_behind_a_pending_claim_still_pending_at_the_deadline_the_caller_is_told_to_try_again(parts):
    held = parts.claims.claim(KEY, FACE_ISSUE_DATE, "h", parts.clock.now(), "S" * 24)
    refusal = parts.refusal(within_s=2.0)
    assert (refusal.key, refusal.detail) == (ErrorKey.REGISTRO, IN_PROGRESS)
    assert parts.claims.is_pending(held) and parts.log.events == []


def test_a_lost_acknowledgement_is_settled_by_reading_the_log_back_the_invoice_is_registered(parts):
    parts.log.fail_next(TimeoutError("acknowledgement lost"), written=True)
    registration = parts.submit()
    assert parts.log.lookups == 1 and registration.position.offset == 0
    assert not parts.claims.is_pending(registration.invoice.id)
    assert parts.registrar.receipt(registration.csv) == registration.receipt_pdf


def test_a_failed_append_the_log_lacks_releases_the_claim_and_a_resubmission_registers(parts):
    parts.log.fail_next(TimeoutError("broker gone"))
    assert parts.refusal().key is ErrorKey.REGISTRO
    assert parts.log.events == [] and parts.log.lookups == 1
    assert parts.submit().invoice.id == 2


def test_an_event_surely_not_sent_releases_the_claim_without_reading_the_log(parts):
    parts.log.fail_next(NotSent("no producer"))
    assert parts.refusal().key is ErrorKey.REGISTRO
    assert parts.log.lookups == 0 and not parts.claims.is_pending(1)


def test_an_append_in_doubt_keeps_the_claim_pending_and_says_so(parts):
    parts.log.fail_next(TimeoutError("broker gone"))
    parts.log.readable = False
    refusal = parts.refusal(within_s=2.0)
    assert (refusal.key, refusal.detail) == (ErrorKey.REGISTRO, REGISTRATION_IN_DOUBT)
    assert parts.claims.is_pending(1) and parts.log.events == []


def test_a_storage_failure_releases_the_claim_and_writes_nothing_to_the_log(parts):
    parts.blobs.fail_next(OSError("disk full"))
    assert parts.refusal().key is ErrorKey.REGISTRO
    assert parts.log.events == [] and not parts.claims.is_pending(1)
    assert parts.submit().invoice.id == 2


def test_a_claim_that_cannot_be_confirmed_leaves_the_invoice_registered(parts):
    parts.claims.fail_next("confirm", ConnectionError("database gone"))
    registration = parts.submit()
    assert [e.invoice_id for e in parts.log.events] == [registration.invoice.id]
    assert parts.claims.is_pending(registration.invoice.id)  # the next claim of the key settles it by the log


def test_a_deadline_too_close_for_an_append_is_refused_before_any_claim(parts):
    refusal = parts.refusal(within_s=0.2)
    assert (refusal.key, refusal.detail) == (ErrorKey.REGISTRO, NO_TIME)
    assert parts.log.events == [] and parts.claims.is_pending(1) is False
    assert parts.submit().invoice.id == 1


def test_only_the_supplier_or_a_third_party_biller_may_submit(parts):
    assert parts.refusal(nif="B99999999").key is ErrorKey.FACTURA_INVALIDA
    assert parts.submit(nif="A28000032").invoice.submitter_nif == "A28000032"
    assert len(parts.log.events) == 1

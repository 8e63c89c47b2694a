"""Contract tests of the ports in ventanilla/ports.py, imported by the modules that give them adapters.

tests/unit/adapters/test_invoice_fakes.py runs them on the in-memory adapters (tests/support/invoice_fakes.py),
tests/integration/test_invoice_contracts.py on the real ones (Kafka, SQLite, PostgreSQL, a directory, S3). Each
module defines the fixtures: `log_and_lookup` (a Log and the Lookup reading it back), `open_claims` (a factory of
clients of one fresh claims store), `blobs` (a BlobStore), `clock` (a Clock).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import InvoiceKey, State
from ventanilla.ports import ClaimPending, Outcome
from tests.unit.domain.factories import changed, registered

KEY = InvoiceKey("B12345678", 2026, "A-", "1")
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
PDF = b"%PDF-1.7 receipt " * 1000


def test_appends_land_in_order_in_the_invoices_partition_and_the_registration_is_read_back(log_and_lookup):
    log, lookup = log_and_lookup
    since = datetime.now(timezone.utc)
    event = registered(invoice_id=41)
    first = log.append(event)
    then = log.append(changed(State.REGISTRADA_RCF, invoice_id=41))
    assert (then.topic, then.partition, then.offset) == (first.topic, first.partition, first.offset + 1)
    found = lookup(41, since, 10.0)
    assert (found.outcome, found.position, found.event) == (Outcome.FOUND, first, event)


def test_a_registration_never_written_or_written_before_the_moment_asked_about_is_absent(log_and_lookup):
    log, lookup = log_and_lookup
    log.append(registered(invoice_id=42))
    assert lookup(43, datetime.now(timezone.utc) - timedelta(minutes=5), 10.0).outcome is Outcome.ABSENT
    assert lookup(42, datetime.now(timezone.utc) + timedelta(hours=1), 10.0).outcome is Outcome.ABSENT


def test_same_key_another_day_and_released_ids_are_never_reused(open_claims):
    claims = open_claims()
    first = claims.claim(KEY, date(2026, 2, 27), "h", NOW)
    claims.release(first)
    second = claims.claim(KEY, date(2026, 2, 27), "h", NOW)
    assert second > first
    assert claims.receipt_of("C" * 24) is None
    claims.confirm(second, "C" * 24, "f" * 64)
    assert claims.receipt_of("C" * 24) == "f" * 64
    with pytest.raises(DomainError) as caught:
        claims.claim(KEY, date(2026, 5, 1), "h2", NOW)
    assert caught.value.key is ErrorKey.EJERCICIO_DIARIO
    claims.release(second)  # a registered claim is never released
    with pytest.raises(DomainError) as caught:
        open_claims().claim(KEY, date(2026, 2, 27), "h", NOW)
    assert caught.value.key is ErrorKey.FACTURA_REPETIDA


def test_pending_claims_and_the_csv_stored_with_the_claim(open_claims):
    claims = open_claims()
    invoice_id = claims.claim(KEY, date(2026, 2, 27), "h", NOW, csv="S" * 24)
    assert claims.is_pending(invoice_id)
    with pytest.raises(ClaimPending) as held:
        open_claims().claim(KEY, date(2026, 5, 1), "h2", NOW + timedelta(minutes=1))
    assert (held.value.invoice_id, held.value.claimed_at, held.value.key) == (invoice_id, NOW, ErrorKey.REGISTRO)
    claims.confirm(invoice_id, None, "e" * 64)
    assert claims.receipt_of("S" * 24) == "e" * 64
    assert not claims.is_pending(invoice_id) and not claims.is_pending(invoice_id + 1)
    with pytest.raises(DomainError) as repeated:
        claims.claim(KEY, date(2026, 2, 27), "h", NOW)
    assert repeated.value.key is ErrorKey.FACTURA_REPETIDA


def test_a_document_comes_back_as_stored_under_its_hash(blobs):
    ref = blobs.put(PDF, "comprobante-1.pdf", "application/pdf")
    assert (ref.size, ref.name, ref.media_type) == (len(PDF), "comprobante-1.pdf", "application/pdf")
    assert blobs.get(ref.sha256) == PDF
    assert blobs.put(PDF).sha256 == ref.sha256  # stored once, by content
    with pytest.raises(KeyError):
        blobs.get("0" * 64)
    with pytest.raises(KeyError):
        blobs.get("../../etc/passwd")


def test_the_clock_tells_an_aware_time_that_never_goes_back(clock):
    first, second = clock.now(), clock.now()
    assert first.tzinfo is not None and first.utcoffset() is not None
    assert second >= first

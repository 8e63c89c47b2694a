"""Business-key claims: unique under concurrent processes, same day vs another day."""
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timezone

import pytest

from ventanilla.adapters.claims import SqliteClaims
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import InvoiceKey

pytestmark = pytest.mark.integration
KEY = InvoiceKey("B12345678", 2026, "A-", "1")
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _claim(path):
    try:
        return SqliteClaims(path).claim(KEY, date(2026, 2, 27), "h", NOW)
    except DomainError as error:
        return error.key.value


def test_fifty_concurrent_claims_from_processes_yield_one_id(tmp_path):
    path = tmp_path / "claims.sqlite3"
    SqliteClaims(path)
    with ProcessPoolExecutor(4) as pool:
        outcomes = list(pool.map(_claim, [path] * 50))
    ids = [o for o in outcomes if isinstance(o, int)]
    assert len(ids) == 1
    assert outcomes.count(ErrorKey.FACTURA_REPETIDA.value) == 49


def test_same_key_on_another_day_is_a_different_refusal(tmp_path):
    claims = SqliteClaims(tmp_path / "c.sqlite3")
    claims.claim(KEY, date(2026, 2, 27), "h", NOW)
    with pytest.raises(DomainError) as refused:
        claims.claim(KEY, date(2026, 5, 1), "h2", NOW)
    assert refused.value.key is ErrorKey.EJERCICIO_DIARIO


def test_released_claim_frees_the_key_and_ids_are_never_reused(tmp_path):
    claims = SqliteClaims(tmp_path / "c.sqlite3")
    first = claims.claim(KEY, date(2026, 2, 27), "h", NOW)
    claims.release(first)
    second = claims.claim(KEY, date(2026, 2, 27), "h", NOW)
    assert second > first
    claims.confirm(second, "CSV2", "0" * 64)
    claims.release(second)
    with pytest.raises(DomainError):
        claims.claim(KEY, date(2026, 2, 27), "h", NOW)


def test_stale_pending_claims_and_the_csv_stored_with_the_claim(tmp_path):
    from datetime import timedelta

    claims = SqliteClaims(tmp_path / "claims.sqlite3")
    invoice_id = claims.claim(KEY, date(2026, 2, 27), "h", NOW, csv="S" * 24)
    assert claims.stale_pending(KEY, NOW) is None
    assert claims.stale_pending(KEY, NOW + timedelta(minutes=1)) == (invoice_id, NOW)
    claims.confirm(invoice_id, None, "e" * 64)
    assert claims.receipt_of("S" * 24) == "e" * 64
    assert claims.stale_pending(KEY, NOW + timedelta(minutes=1)) is None

"""Both claims stores keep one contract: one id under concurrency, pending is not repeated, same day vs another day, no reuse."""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta, timezone
from functools import partial

import pytest

from ventanilla.adapters.claims import ClaimPending, SqliteClaims
from ventanilla.adapters.claims_postgres import PostgresClaims
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import InvoiceKey

pytestmark = pytest.mark.integration
KEY = InvoiceKey("B12345678", 2026, "A-", "1")
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgres"])
def open_claims(request, tmp_path):
    """A picklable factory of claims-store clients on one fresh store (SQLite file or PostgreSQL database)."""
    if request.param == "sqlite":
        return partial(SqliteClaims, tmp_path / "claims.sqlite3")
    return partial(PostgresClaims, request.getfixturevalue("claims_dsn"))


def _claim(open_claims):
    try:
        return open_claims().claim(KEY, date(2026, 2, 27), "h", NOW)
    except ClaimPending as pending:
        return ("pending", pending.invoice_id, pending.key.value)
    except DomainError as error:
        return error.key.value


def test_fifty_concurrent_claims_from_processes_yield_one_id(open_claims):
    open_claims()
    # spawned, not forked: gRPC's fork handlers (earlier tests load gRPC in this process) can block fork()
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        outcomes = list(pool.map(_claim, [open_claims] * 50))
        ids = [o for o in outcomes if isinstance(o, int)]
        assert len(ids) == 1 and ids[0] > 0
        # while the one registration is in progress, the others are told so (try again), never facturaRepetida
        assert outcomes.count(("pending", ids[0], ErrorKey.REGISTRO.value)) == 49
        open_claims().confirm(ids[0], "C" * 24, "f" * 64)
        assert list(pool.map(_claim, [open_claims] * 50)) == [ErrorKey.FACTURA_REPETIDA.value] * 50


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

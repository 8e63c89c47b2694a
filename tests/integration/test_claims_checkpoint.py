"""Both claims stores take back registrations read from the log and remember how far they read it."""
from datetime import date, datetime, timezone
from functools import partial

import pytest

from ventanilla.adapters.claims import RestoredClaim, SqliteClaims
from ventanilla.adapters.claims_postgres import PostgresClaims
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import InvoiceKey

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
DAY = date(2026, 2, 27)


@pytest.fixture(params=["sqlite", "postgres"])
def claims(request, tmp_path):
    if request.param == "sqlite":
        return SqliteClaims(tmp_path / "claims.sqlite3")
    return partial(PostgresClaims, request.getfixturevalue("claims_dsn"))()


def key(number: str) -> InvoiceKey:
    return InvoiceKey("B12345678", 2026, "A-", number)


def restored(invoice_id, number, csv=None, receipt="r" * 64):
    return RestoredClaim(invoice_id, key(number), DAY, f"h{number}", NOW, csv, receipt)


def test_restored_registrations_hold_their_ids_and_keys_and_later_ids_go_above(claims):
    first = claims.claim(key("1"), DAY, "h", NOW)
    assert claims.restore([restored(first + 40, "41", "R" * 24), restored(first + 30, "31")]) == 2
    assert claims.known([first, first + 30, first + 40, first + 50]) == {first, first + 30, first + 40}
    assert claims.receipt_of("R" * 24) == "r" * 64
    assert claims.claim(key("42"), DAY, "h", NOW) > first + 40
    with pytest.raises(DomainError) as refused:
        claims.claim(key("41"), DAY, "h", NOW)
    assert refused.value.key is ErrorKey.FACTURA_REPETIDA
    assert claims.restore([restored(first + 40, "41")]) == 0  # held already
    assert claims.restore([restored(first + 2, "1")]) == 0  # the key is held by another id
    assert claims.known([first + 2]) == set()


def test_a_pending_claim_found_in_the_log_becomes_registered(claims):
    pending = claims.claim(key("7"), DAY, "h", NOW, csv="P" * 24)
    assert claims.restore([restored(pending, "7", receipt="e" * 64)]) == 0
    assert claims.receipt_of("P" * 24) == "e" * 64


def test_the_log_checkpoint_only_moves_forward(claims):
    assert claims.log_checkpoint("t") == {}
    claims.save_log_checkpoint("t", {0: 10, 1: 4})
    claims.save_log_checkpoint("t", {0: 7, 2: 1})
    assert claims.log_checkpoint("t") == {0: 10, 1: 4, 2: 1}
    assert claims.log_checkpoint("other") == {}

"""The real adapters of the invoice ports pass the contract tests the in-memory ones pass; one id under concurrency.

Log: EventLog and RegistrationLookup on the session's Kafka broker. Claims: SQLite and PostgreSQL. Blobs: a
directory and S3 (versitygw). Clock: the system clock.
"""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from functools import partial

import pytest

from ventanilla.adapters.blob_store import DirectoryBlobStore, open_blob_store
from ventanilla.adapters.claims import SqliteClaims
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.ports import ClaimPending
from ventanilla.adapters.claims_postgres import PostgresClaims
from ventanilla.adapters.clock import SystemClock
from ventanilla.adapters.event_log import EventLog
from ventanilla.adapters.log_lookup import RegistrationLookup
from tests.support.invoice_contracts import *  # noqa: F403 - the shared contract tests, run here on real adapters
from tests.support.invoice_contracts import KEY, NOW

pytestmark = pytest.mark.integration


@pytest.fixture
def log_and_lookup(kafka_settings):
    log = EventLog(kafka_settings.kafka.bootstrap_servers, kafka_settings.topics.invoice_events, "contract", 15.0)
    yield log, RegistrationLookup(kafka_settings.kafka.bootstrap_servers, kafka_settings.topics.invoice_events)
    log.close()


@pytest.fixture(params=["sqlite", "postgres"])
def open_claims(request, tmp_path):
    """A factory of claims-store clients on one fresh store (SQLite file or PostgreSQL database)."""
    if request.param == "sqlite":
        return partial(SqliteClaims, tmp_path / "claims.sqlite3")
    return partial(PostgresClaims, request.getfixturevalue("claims_dsn"))


@pytest.fixture(params=["directory", "s3"])
def blobs(request, tmp_path):
    if request.param == "directory":
        return DirectoryBlobStore(tmp_path / "blobs")
    return open_blob_store(request.getfixturevalue("s3_settings"))


@pytest.fixture
def clock():
    return SystemClock()


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

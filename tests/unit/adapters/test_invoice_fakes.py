"""The in-memory adapters of the invoice ports pass the contract tests the real adapters pass."""
import pytest

from tests.support.invoice_contracts import *  # noqa: F403 - the shared contract tests, run here on the fakes
from tests.support.invoice_fakes import FixedClock, MemoryBlobStore, MemoryClaims, MemoryLog


@pytest.fixture
def log_and_lookup():
    log = MemoryLog()
    return log, log.lookup


@pytest.fixture
def open_claims():
    store = MemoryClaims()
    return lambda: store


@pytest.fixture
def blobs():
    return MemoryBlobStore()


@pytest.fixture
def clock():
    return FixedClock()

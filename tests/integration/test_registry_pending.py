"""A resubmission while the first registration is in progress: facturaRepetida only once it is registered.

Real parts (SQLite claims, blob store, seal, Kafka); the first attempt's append is held by a gate.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta

import pytest

from registry_service.claiming import Timing
from registry_service.wiring import build_claims
from ventanilla.adapters.claims import IN_PROGRESS
from ventanilla.adapters.event_log import EventLog
from ventanilla.adapters.topics import ensure_topics
from ventanilla.domain.errors import REGISTRATION_IN_DOUBT, DomainError, ErrorKey
from ventanilla.ports import ABSENT, UNKNOWN

from tests.support.registry import FACE, registrar, signed_intake_env

pytestmark = pytest.mark.integration
SELLER = "B23103039"


class _Gate:
    """The real event log, but the first append waits until opened, then appends or fails as told."""

    def __init__(self, log: EventLog, fail: bool = False):
        self._log, self._fail = log, fail
        self.reached, self.open = threading.Event(), threading.Event()

    def append(self, event):
        if not self.reached.is_set():
            self.reached.set()
            assert self.open.wait(60)
            if self._fail:
                raise TimeoutError("broker gone (injected)")
        return self._log.append(event)


class _Watched:
    """The real claims store, signalling once a registrar waits behind a pending claim (asks whether it still is)."""

    def __init__(self, claims):
        self._claims, self.waiting = claims, threading.Event()

    def is_pending(self, invoice_id: int) -> bool:
        self.waiting.set()
        return self._claims.is_pending(invoice_id)

    def __getattr__(self, name):
        return getattr(self._claims, name)


@pytest.fixture
def setup(settings_factory, signing_pki, sign_invoice):
    settings = settings_factory(signed_intake_env(signing_pki))
    ensure_topics(settings)
    log = EventLog(settings.kafka.bootstrap_servers, settings.topics.invoice_events, "test")
    yield settings, log, sign_invoice(FACE.read_bytes())
    log.close()


def _outcome(submit):
    try:
        return submit().invoice.id
    except DomainError as error:
        return error.key, error.detail


def _race(settings, gate: _Gate, facturae: bytes, second_deadline_s: float | None = None):
    """The first attempt held in its append; the second submitted meanwhile and waiting behind the first's
    claim (or, with a deadline, answered already); then the gate opens."""
    watched = _Watched(build_claims(settings))
    first, second = registrar(settings, gate), registrar(settings, gate, Timing(reserve_s=1.0), claims=watched)
    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(_outcome, lambda: first.submit(SELLER, facturae, []))
        assert gate.reached.wait(60)
        deadline = None if second_deadline_s is None else time.monotonic() + second_deadline_s
        waiting = pool.submit(_outcome, lambda: second.submit(SELLER, facturae, [], deadline))
        assert watched.waiting.wait(60), "the second attempt never waited behind the pending claim"
        if second_deadline_s is not None:
            assert wait([waiting], timeout=second_deadline_s + 60).done, "the second attempt outlived its deadline"
        gate.open.set()
        return held.result(timeout=60), waiting.result(timeout=60)


def test_the_resubmission_waits_and_is_told_facturarepetida_once_registered(setup):
    settings, log, facturae = setup
    first, second = _race(settings, _Gate(log), facturae)
    assert isinstance(first, int)
    assert second == (ErrorKey.FACTURA_REPETIDA, ErrorKey.FACTURA_REPETIDA.description)


def test_the_resubmission_registers_when_the_first_attempt_fails(setup):
    settings, log, facturae = setup
    first, second = _race(settings, _Gate(log, fail=True), facturae)
    assert first[0] is ErrorKey.REGISTRO
    assert isinstance(second, int)
    claims = sqlite3.connect(settings.path("registry", "claims.sqlite3"))
    assert claims.execute("SELECT id, status FROM claims").fetchall() == [(second, "REGISTERED")]
    with pytest.raises(DomainError) as repeated:
        registrar(settings, log).submit(SELLER, facturae, [])
    assert repeated.value.key is ErrorKey.FACTURA_REPETIDA


def test_a_resubmission_whose_deadline_comes_first_is_told_to_try_again(setup):
    settings, log, facturae = setup
    first, second = _race(settings, _Gate(log), facturae, second_deadline_s=2.0)
    assert isinstance(first, int)
    assert second == (ErrorKey.REGISTRO, IN_PROGRESS)


def test_an_outcome_in_doubt_keeps_the_key_until_the_log_tells(setup):
    """The append fails and the log cannot be read back: registro, and no second id for the key, ever."""
    settings, log, facturae = setup
    blind = registrar(settings, _Gate(log, fail=True), Timing(budget_s=4.0, reserve_s=1.0),
                      lookup=lambda *_args: UNKNOWN)  # the log cannot tell until the deadline
    blind._log.open.set()
    with pytest.raises(DomainError) as doubt:
        blind.submit(SELLER, facturae, [])
    assert (doubt.value.key, doubt.value.detail) == (ErrorKey.REGISTRO, REGISTRATION_IN_DOUBT)
    with pytest.raises(DomainError) as pending:  # the key is kept: a resubmission cannot register it twice
        registrar(settings, log, Timing(budget_s=3.0, reserve_s=1.0)).submit(SELLER, facturae, [])
    assert (pending.value.key, pending.value.detail) == (ErrorKey.REGISTRO, IN_PROGRESS)
    settled = registrar(settings, log, Timing(reserve_s=1.0, lease=timedelta(0)), lookup=lambda *_args: ABSENT)
    assert settled.submit(SELLER, facturae, []).invoice.id > 0  # past the lease, the log says: not there

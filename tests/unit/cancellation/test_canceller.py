"""The cancellation use case's branches on the in-memory log; the invoice read back as the status service folds it.

Over real gRPC and Kafka: tests/integration/test_cancellation_outage.py and the end-to-end suite.
"""
from __future__ import annotations

import pytest

from cancellation_service.handlers import Canceller
from tests.support.invoice_fakes import FixedClock, MemoryLog
from tests.unit.domain.factories import cancel_requested, changed, registered
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import CancellationRequested
from ventanilla.domain.invoice import State
from ventanilla.domain.lifecycle import fold

SUPPLIER, STRANGER = "B12345678", "A28000032"
INVOICE = 7


@pytest.fixture
def log() -> MemoryLog:
    log = MemoryLog()
    log.append(registered(INVOICE))
    return log


def status_lookup(log: MemoryLog, caller: str):
    """The status service's answer for the caller: the invoice folded from the log, if the caller may see it."""
    def lookup():
        invoice = fold(e for e in log.events if e.invoice_id == INVOICE)
        if invoice is None or not invoice.visible_to(caller):
            raise DomainError(ErrorKey.FACTURA_INVALIDA)
        return invoice, b"%PDF receipt"
    return lookup


def cancel(log: MemoryLog, caller: str = SUPPLIER, reason: str = "Error en el centro gestor", lookup=None):
    return Canceller(log, FixedClock()).cancel(caller, lookup or status_lookup(log, caller), reason)


def refusal(log: MemoryLog, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as refused:
        cancel(log, **kwargs)
    return refused.value


def test_a_registered_invoice_is_cancelled_and_answered_as_it_is_then(log):
    invoice, receipt = cancel(log, reason="  Error en el centro gestor ")
    assert invoice.state is State.ANULADA and invoice.cancellation.reason == "Error en el centro gestor"
    assert receipt == b"%PDF receipt"
    (requested,) = [e for e in log.events if isinstance(e, CancellationRequested)]
    assert (requested.requested_by_nif, requested.occurred_at) == (SUPPLIER, FixedClock().now())


def test_an_invoice_received_by_its_accounting_office_may_still_be_cancelled(log):
    log.append(changed(State.REGISTRADA_RCF, invoice_id=INVOICE))
    assert cancel(log)[0].state is State.ANULADA


@pytest.mark.parametrize("later", [[changed(State.REGISTRADA_RCF), changed(State.CONTABILIZADA, 2)],
                                   [cancel_requested()]])
def test_an_invoice_past_the_accounting_office_or_already_cancelled_is_refused_and_nothing_appended(log, later):
    for event in later:
        log.append(event)
    before = list(log.events)
    assert refusal(log).key is ErrorKey.ANULACION_ESTADO_INCORRECTO
    assert log.events == before


def test_a_caller_who_may_not_see_the_invoice_is_told_it_does_not_exist(log):
    assert refusal(log, caller=STRANGER).key is ErrorKey.FACTURA_INVALIDA
    assert len(log.events) == 1


def test_a_cancellation_without_a_reason_is_refused_before_the_invoice_is_looked_up(log):
    def never():
        raise AssertionError("looked up")
    assert refusal(log, reason="  ", lookup=never).key is ErrorKey.ANULACION_MOTIVO_OBLIGATORIO
    assert len(log.events) == 1


def test_when_the_back_office_moved_first_the_request_is_logged_but_the_answer_says_the_state_changed(log):
    read = status_lookup(log, SUPPLIER)
    calls = []

    def lookup():
        answer = read()
        if not calls:  # the back office's report lands between the read and the append
            log.append(changed(State.CONTABILIZADA, 3, INVOICE))
        calls.append(answer)
        return answer

    log.append(changed(State.REGISTRADA_RCF, invoice_id=INVOICE))
    error = refusal(log, lookup=lookup)
    assert error.key is ErrorKey.ANULACION_ESTADO_INCORRECTO and "cambió de estado" in error.detail
    assert isinstance(log.events[-1], CancellationRequested) and calls[-1][0].state is State.CONTABILIZADA


def test_a_log_that_refuses_the_append_refuses_the_cancellation(log):
    log.fail_next(TimeoutError("broker gone"))
    with pytest.raises(TimeoutError):
        cancel(log)
    assert len(log.events) == 1

"""Back-office decisions, and the fold as final arbiter: duplicates and late moves change nothing."""
from dataclasses import replace
from datetime import timedelta

import pytest

from ventanilla.domain.backoffice import DecideCancellation, SetState, decide, refused_in_log
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import CancellationOutcome, State
from ventanilla.domain.lifecycle import fold

from .factories import T0, cancel_accepted, cancel_rejected, cancel_requested, changed, registered

S = State


def set_state(state: State, message_id: str = "m-1") -> SetState:
    return SetState(7, state, f"obs {state.value}", message_id, T0 + timedelta(hours=1), "rcf-test")


def verdict(accepted: bool, message_id: str = "v-1") -> DecideCancellation:
    return DecideCancellation(7, accepted, "motivo", message_id, T0 + timedelta(hours=1), "rcf-test")


def test_a_valid_update_yields_one_status_changed_with_the_message_facts():
    (event,) = decide(fold([registered()]), set_state(S.REGISTRADA_RCF), "e-1")
    assert (event.state, event.remarks, event.message_id, event.source_system) == (
        S.REGISTRADA_RCF, "obs REGISTRADA_RCF", "m-1", "rcf-test")
    assert fold([registered(), event]).state_remarks == "obs REGISTRADA_RCF"


@pytest.mark.parametrize("target", [S.CONTABILIZADA, S.PAGADA, S.ANULADA, S.REGISTRADA])
def test_an_update_outside_the_table_is_refused_with_the_catalogue_key(target):
    with pytest.raises(DomainError) as refused:
        decide(fold([registered()]), set_state(target), "e-1")
    assert refused.value.key is ErrorKey.ESTADO_ACTUALIZACION
    assert target.value in refused.value.detail


def test_an_unknown_invoice_is_refused():
    with pytest.raises(DomainError) as refused:
        decide(None, set_state(S.REGISTRADA_RCF), "e-1")
    assert refused.value.key is ErrorKey.ESTADO_ACTUALIZACION


def test_a_message_already_in_the_log_yields_nothing():
    invoice = fold([registered(), changed(S.REGISTRADA_RCF, 1)])
    assert decide(invoice, set_state(S.CONTABILIZADA, message_id="m-1"), "e-2") == ()


@pytest.mark.parametrize("accepted, event_type", [(True, "cancellation_accepted"), (False, "cancellation_rejected")])
def test_a_verdict_decides_a_pending_cancellation(accepted, event_type):
    (event,) = decide(fold([registered(), cancel_requested(1)]), verdict(accepted), "e-1")
    assert event.TYPE.endswith(event_type)


def test_a_verdict_without_a_pending_cancellation_is_refused():
    for events in ([registered()], [registered(), cancel_requested(1), cancel_rejected(2)]):
        with pytest.raises(DomainError) as refused:
            decide(fold(events), verdict(True), "e-1")
        assert refused.value.key is ErrorKey.ESTADO_ACTUALIZACION


def test_the_fold_applies_a_duplicate_message_once():
    first = changed(S.REGISTRADA_RCF, 1)
    once = fold([registered(), first])
    twice = fold([registered(), first, replace(first, event_id="another-event")])
    assert once == twice
    assert len(twice.history) == 2 and twice.applied("m-1") and twice.seen_messages == {"m-1"}


def test_the_fold_ignores_a_move_that_is_invalid_at_its_place_in_the_log():
    late = changed(S.PAGADA, 2)
    invoice = fold([registered(), changed(S.REGISTRADA_RCF, 1), late])
    assert invoice.processing_state is S.REGISTRADA_RCF
    assert late.message_id in invoice.seen_messages and not invoice.applied(late.message_id)
    assert "REGISTRADA_RCF" in refused_in_log(invoice, set_state(S.PAGADA, "m-2")).detail


def test_a_message_seen_and_ignored_stays_ignored_when_redelivered_later():
    early = changed(S.CONTABILIZADA, 1)
    invoice = fold([registered(), early, changed(S.REGISTRADA_RCF, 2), replace(early, event_id="again")])
    assert invoice.processing_state is S.REGISTRADA_RCF


def test_a_duplicate_verdict_after_acceptance_changes_nothing():
    accepted = cancel_accepted(2)
    events = [registered(), cancel_requested(1), accepted]
    assert fold(events + [replace(accepted, event_id="dup")]) == fold(events)
    assert fold(events).cancellation.outcome is CancellationOutcome.ACCEPTED


def test_cancellation_and_update_race_is_decided_by_log_order():
    request, update = cancel_requested(2), changed(S.CONTABILIZADA, 3)
    base = [registered(), changed(S.REGISTRADA_RCF, 1)]
    request_first = fold(base + [request, update])
    update_first = fold(base + [update, request])
    assert request_first.state is S.CONTABILIZADA and request_first.cancellation.outcome is CancellationOutcome.REJECTED
    assert update_first.state is S.CONTABILIZADA and update_first.cancellation is None

"""The invoice aggregate's decide for every command, and the fold as final arbiter: duplicates and late moves
change nothing, and a late move's refusal is recorded as what it is."""
from dataclasses import replace
from datetime import timedelta

import pytest

from ventanilla.domain.events import BackOfficeReportRefused
from ventanilla.domain.invoice_commands import DecideCancellation, Register, RequestCancellation, SetState
from ventanilla.domain.invoice_decide import decide, refused_in_log
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import CancellationOutcome, State
from ventanilla.domain.lifecycle import fold

from .factories import T0, cancel_accepted, cancel_rejected, cancel_requested, changed, registered, registration

S = State


def set_state(state: State, message_id: str = "m-1") -> SetState:
    return SetState(7, state, f"obs {state.value}", message_id, T0 + timedelta(hours=1), "rcf-test", "c-1")


def verdict(accepted: bool, message_id: str = "v-1") -> DecideCancellation:
    return DecideCancellation(7, accepted, "motivo", message_id, T0 + timedelta(hours=1), "rcf-test", "c-1")


def test_a_valid_update_yields_one_status_changed_with_the_message_facts():
    (event,) = decide(fold([registered()]), set_state(S.REGISTRADA_RCF))
    assert (event.state, event.remarks, event.message_id, event.source_system) == (
        S.REGISTRADA_RCF, "obs REGISTRADA_RCF", "m-1", "rcf-test")
    assert fold([registered(), event]).state_remarks == "obs REGISTRADA_RCF"


@pytest.mark.parametrize("target", [S.CONTABILIZADA, S.PAGADA, S.ANULADA, S.REGISTRADA])
def test_an_update_outside_the_table_is_refused_with_the_catalogue_key(target):
    with pytest.raises(DomainError) as refused:
        decide(fold([registered()]), set_state(target))
    assert refused.value.key is ErrorKey.ESTADO_ACTUALIZACION
    assert target.value in refused.value.detail


def test_an_unknown_invoice_is_refused():
    with pytest.raises(DomainError) as refused:
        decide(None, set_state(S.REGISTRADA_RCF))
    assert refused.value.key is ErrorKey.ESTADO_ACTUALIZACION


def test_a_message_already_in_the_log_yields_nothing():
    invoice = fold([registered(), changed(S.REGISTRADA_RCF, 1)])
    assert decide(invoice, set_state(S.CONTABILIZADA, message_id="m-1")) == ()


@pytest.mark.parametrize("accepted, event_type", [(True, "cancellation_accepted"), (False, "cancellation_rejected")])
def test_a_verdict_decides_a_pending_cancellation(accepted, event_type):
    (event,) = decide(fold([registered(), cancel_requested(1)]), verdict(accepted))
    assert event.TYPE.endswith(event_type)


def test_a_verdict_without_a_pending_cancellation_is_refused():
    for events in ([registered()], [registered(), cancel_requested(1), cancel_rejected(2)]):
        with pytest.raises(DomainError) as refused:
            decide(fold(events), verdict(True))
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


def test_a_registration_is_decided_against_no_state_and_only_once():
    command = Register("c-reg", registration())
    (event,) = decide(None, command)
    assert (event.event_id, event.invoice_id, event.occurred_at, event.invoice) == (
        "c-reg:0", 7, registration().registered_at, registration())
    with pytest.raises(DomainError) as refused:
        decide(fold([event]), command)
    assert refused.value.key is ErrorKey.REGISTRO


def request(reason: str = " Error en el centro gestor ") -> RequestCancellation:
    return RequestCancellation("c-anul", 7, T0 + timedelta(hours=1), reason, "B12345678")


def test_a_cancellation_request_up_to_registrada_rcf_yields_the_request_with_its_reason_trimmed():
    for events in ([registered()], [registered(), changed(S.REGISTRADA_RCF, 1)]):
        (event,) = decide(fold(events), request())
        assert (event.reason, event.requested_by_nif, event.event_id) == ("Error en el centro gestor", "B12345678",
                                                                          "c-anul:0")
        assert fold(events + [event]).state is S.ANULADA


@pytest.mark.parametrize("events, key", [
    ([registered(), changed(S.REGISTRADA_RCF, 1), changed(S.CONTABILIZADA, 2)], ErrorKey.ANULACION_ESTADO_INCORRECTO),
    ([registered(), cancel_requested(1)], ErrorKey.ANULACION_ESTADO_INCORRECTO),
    ([registered(), cancel_requested(1), cancel_rejected(2)], ErrorKey.ANULACION_ESTADO_INCORRECTO),
    ([], ErrorKey.FACTURA_INVALIDA),
])
def test_a_cancellation_request_is_refused_past_registrada_rcf_twice_or_unknown(events, key):
    with pytest.raises(DomainError) as refused:
        decide(fold(events), request())
    assert refused.value.key is key


def test_a_cancellation_request_without_reason_is_refused():
    with pytest.raises(DomainError) as refused:
        decide(fold([registered()]), request("  "))
    assert refused.value.key is ErrorKey.ANULACION_MOTIVO_OBLIGATORIO


def test_a_command_without_its_id_is_not_decided():
    with pytest.raises(ValueError):
        decide(fold([registered()]), replace(set_state(S.REGISTRADA_RCF), command_id=""))


def test_a_report_the_fold_ignored_yields_its_refusal_once_and_the_fold_records_it():
    late = changed(S.PAGADA, 2)
    invoice = fold([registered(), changed(S.REGISTRADA_RCF, 1), late])
    (refusal,) = decide(invoice, set_state(S.PAGADA, late.message_id))
    assert isinstance(refusal, BackOfficeReportRefused) and refusal.message_id == late.message_id
    assert refusal.reason == refused_in_log(invoice, set_state(S.PAGADA, late.message_id)).detail
    after = fold([registered(), changed(S.REGISTRADA_RCF, 1), late, refusal])
    assert after.refused_messages == {late.message_id} and after.processing_state is S.REGISTRADA_RCF
    assert after.history == invoice.history
    assert decide(after, set_state(S.PAGADA, late.message_id)) == ()


def test_a_refusal_of_an_applied_or_unseen_message_changes_nothing():
    applied = changed(S.REGISTRADA_RCF, 1)
    invoice = fold([registered(), applied])
    for message_id in (applied.message_id, "never-seen"):
        stray = BackOfficeReportRefused("x", 7, T0, "motivo", "rcf-test", message_id)
        assert fold([registered(), applied, stray]) == invoice


def test_a_lost_race_of_a_verdict_is_refused_as_well():
    late = cancel_accepted(3)
    invoice = fold([registered(), cancel_requested(1), changed(S.REGISTRADA_RCF, 2), late])
    assert invoice.cancellation.outcome is CancellationOutcome.REJECTED
    (refusal,) = decide(invoice, verdict(True, late.message_id))
    assert refusal.TYPE == "ventanilla.invoice.backoffice_report_refused"

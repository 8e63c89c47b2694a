"""The transition table, the cancellation rules and state as a fold."""
import pytest

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import CancellationOutcome, State
from ventanilla.domain.lifecycle import TRANSITIONS, check_cancellation, check_status_change, fold

from .factories import cancel_accepted, cancel_rejected, cancel_requested, changed, registered

S = State


def test_happy_path_to_pagada_keeps_history_and_remarks():
    invoice = fold([registered(), changed(S.REGISTRADA_RCF, 1), changed(S.CONTABILIZADA, 2), changed(S.PAGADA, 3)])
    assert invoice.state is S.PAGADA
    assert invoice.state_remarks == "observaciones PAGADA"
    assert [h.state for h in invoice.history] == [S.REGISTRADA, S.REGISTRADA_RCF, S.CONTABILIZADA, S.PAGADA]


@pytest.mark.parametrize("source", list(TRANSITIONS))
@pytest.mark.parametrize("target", [s for s in State])
def test_only_table_transitions_are_allowed(source, target):
    path = {
        S.REGISTRADA: [], S.REGISTRADA_RCF: [S.REGISTRADA_RCF], S.CONTABILIZADA: [S.REGISTRADA_RCF, S.CONTABILIZADA],
        S.PAGADA: [S.REGISTRADA_RCF, S.CONTABILIZADA, S.PAGADA], S.RECHAZADA: [S.RECHAZADA],
    }[source]
    invoice = fold([registered()] + [changed(s, i + 1) for i, s in enumerate(path)])
    assert invoice.processing_state is source
    if target in TRANSITIONS[source]:
        check_status_change(invoice, target)
    else:
        with pytest.raises(DomainError) as refused:
            check_status_change(invoice, target)
        assert refused.value.key is ErrorKey.ESTADO_ACTUALIZACION


def test_anulada_is_never_a_back_office_target():
    invoice = fold([registered()])
    with pytest.raises(DomainError):
        check_status_change(invoice, S.ANULADA)


def test_cancellation_shows_anulada_then_rejection_restores_processing_state():
    invoice = fold([registered(), cancel_requested(1)])
    assert invoice.state is S.ANULADA
    assert invoice.cancellation.outcome is CancellationOutcome.PENDING
    rejected = fold([registered(), cancel_requested(1), cancel_rejected(2)])
    assert rejected.state is S.REGISTRADA
    assert rejected.cancellation.reason == "Error en el centro gestor"
    assert rejected.cancellation.outcome is CancellationOutcome.REJECTED


def test_a_back_office_update_after_the_request_rejects_the_cancellation():
    invoice = fold([registered(), changed(S.REGISTRADA_RCF, 1), cancel_requested(2), changed(S.CONTABILIZADA, 3)])
    assert invoice.state is S.CONTABILIZADA
    assert invoice.cancellation.outcome is CancellationOutcome.REJECTED


def test_an_update_before_the_request_in_the_log_makes_the_request_void():
    invoice = fold([registered(), changed(S.REGISTRADA_RCF, 1), changed(S.CONTABILIZADA, 2), cancel_requested(3)])
    assert invoice.state is S.CONTABILIZADA
    assert invoice.cancellation is None


def test_accepted_cancellation_is_final():
    invoice = fold([registered(), cancel_requested(1), cancel_accepted(2)])
    assert invoice.state is S.ANULADA
    with pytest.raises(DomainError):
        check_status_change(invoice, S.REGISTRADA_RCF)
    assert fold([registered(), cancel_requested(1), cancel_accepted(2), cancel_rejected(3)]).state is S.ANULADA


def test_a_second_cancellation_request_is_refused():
    with pytest.raises(DomainError) as refused:
        check_cancellation(S.REGISTRADA, already_requested=True, reason="otra vez")
    assert refused.value.key is ErrorKey.ANULACION_ESTADO_INCORRECTO
    again = fold([registered(), cancel_requested(1), cancel_rejected(2), cancel_requested(3)])
    assert again.state is S.REGISTRADA and again.cancellation.outcome is CancellationOutcome.REJECTED


@pytest.mark.parametrize("state", [S.CONTABILIZADA, S.PAGADA, S.RECHAZADA, S.ANULADA])
def test_cancellation_only_up_to_registrada_rcf(state):
    with pytest.raises(DomainError) as refused:
        check_cancellation(state, already_requested=False, reason="motivo")
    assert refused.value.key is ErrorKey.ANULACION_ESTADO_INCORRECTO


def test_cancellation_needs_a_reason():
    with pytest.raises(DomainError) as refused:
        check_cancellation(S.REGISTRADA, already_requested=False, reason="  ")
    assert refused.value.key is ErrorKey.ANULACION_MOTIVO_OBLIGATORIO


def test_a_redelivered_registration_changes_nothing():
    once = fold([registered(), changed(S.REGISTRADA_RCF, 1)])
    twice = fold([registered(), changed(S.REGISTRADA_RCF, 1), registered()])
    assert once == twice


def test_visibility_is_for_submitter_and_supplier_only():
    invoice = fold([registered()])
    assert invoice.visible_to("B12345678")
    assert not invoice.visible_to("A00000000")


def test_visibility_never_matches_an_empty_caller_and_ignores_the_es_prefix():
    from dataclasses import replace

    invoice = fold([registered()])
    anonymous = replace(invoice, registration=replace(invoice.registration, submitter_nif=""))
    assert not anonymous.visible_to("")
    assert invoice.visible_to("ESB12345678") and invoice.visible_to("b12345678")


def test_a_refused_update_during_a_pending_cancellation_names_the_processing_state():
    invoice = fold([registered(), cancel_requested(1)])
    assert invoice.state is S.ANULADA and invoice.processing_state is S.REGISTRADA
    with pytest.raises(DomainError) as refused:
        check_status_change(invoice, S.CONTABILIZADA)
    assert refused.value.detail.startswith("No se puede pasar de REGISTRADA a CONTABILIZADA.")
    assert "anulación pendiente" in refused.value.detail and "de ANULADA" not in refused.value.detail


def test_a_refused_update_after_an_accepted_cancellation_says_it_is_final():
    invoice = fold([registered(), cancel_requested(1), cancel_accepted(2)])
    with pytest.raises(DomainError) as refused:
        check_status_change(invoice, S.REGISTRADA_RCF)
    assert "anulación aceptada" in refused.value.detail and "REGISTRADA_RCF" in refused.value.detail


def test_a_refused_update_without_a_cancellation_keeps_its_message():
    invoice = fold([registered(), changed(S.REGISTRADA_RCF, 1)])
    with pytest.raises(DomainError) as refused:
        check_status_change(invoice, S.PAGADA)
    assert refused.value.detail == "No se puede pasar de REGISTRADA_RCF a PAGADA."


def test_an_integrators_submission_is_visible_to_the_seller_and_to_that_integrator_only():
    from dataclasses import replace

    from ventanilla.domain.invoice import Channel

    invoice = fold([registered()])
    through = replace(invoice, registration=replace(invoice.registration, submitter_nif="A58818501",
                                                    channel=Channel("B23103039", "plat-1")))
    assert through.visible_to("B23103039") and through.visible_to("ESB23103039")  # the integrator, any platform
    assert through.visible_to("B12345678") and through.visible_to("A58818501")  # the seller, the certificate
    assert not through.visible_to("Q2826000H") and not invoice.visible_to("B23103039")

"""The integrator aggregate: decide against state, fold events; refusals name their field."""
from datetime import datetime, timedelta, timezone

import pytest

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain import integrator_events as ev
from ventanilla.domain.integrator import CertificateState, PlatformState, evolve, fold
from ventanilla.domain.integrator_decide import Refused, decide

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
BODY, COMPANY = "Q2826000H", "B23103039"


def run(state, command_type, nif=BODY, **values):
    events = decide(state, command_type("c1", nif, nif, AT, **values))
    for event in events:
        state = evolve(state, event)
    return state, events


def facts(fingerprint="f1", days=365, ca=False):
    return cmd.CertificateFacts(fingerprint, b"der", "CN=x", "CN=ca", "1", "", AT - timedelta(days=1),
                                AT + timedelta(days=days), ca)


def integrator(nif=BODY):
    state, _ = run(None, cmd.SignUp, nif, name="Entidad", email="a@b.es", third_party=False, accepted_terms=True,
                   signed_document=b"<x/>")
    return state


def with_platform(roles=frozenset({ev.Role.RECEIVING})):
    state, _ = run(integrator(), cmd.RegisterCertificate, alias="c1", facts=facts(), held_elsewhere=False)
    state, _ = run(state, cmd.RegisterCertificate, alias="c2", facts=facts("f2"), held_elsewhere=False)
    state, _ = run(state, cmd.CreatePlatform, platform_id="p1", name="P", roles=roles, fingerprint="f1")
    return state


def test_sign_up_once_with_accepted_terms():
    with pytest.raises(Refused) as refused:
        run(None, cmd.SignUp, name="E", email="a@b.es", third_party=False, accepted_terms=False, signed_document=b"")
    assert (refused.value.code, refused.value.field) == ("terms_not_accepted", "accepted_terms")
    with pytest.raises(Refused, match="already_integrator"):
        run(integrator(), cmd.SignUp, name="E", email="a@b.es", third_party=False, accepted_terms=True,
            signed_document=b"")


@pytest.mark.parametrize("command_facts, held, code", [
    (facts(ca=True), False, "certificate_ca"), (facts(days=-2), False, "certificate_expired"),
    (facts(), True, "certificate_registered")])
def test_certificate_refusals(command_facts, held, code):
    with pytest.raises(Refused, match=code):
        run(integrator(), cmd.RegisterCertificate, alias="a", facts=command_facts, held_elsewhere=held)


def test_certificate_states_over_time():
    state, _ = run(integrator(), cmd.RegisterCertificate, alias="a", facts=facts(days=40), held_elsewhere=False)
    cert = state.certificates["f1"]
    assert cert.state(AT) is CertificateState.ACTIVE
    assert cert.state(AT + timedelta(days=15)) is CertificateState.EXPIRING
    assert cert.state(AT + timedelta(days=41)) is CertificateState.EXPIRED


def test_rcf_platforms_wait_for_staff_and_only_public_bodies_hold_them():
    state = with_platform()
    assert state.platforms["p1"].state is PlatformState.PENDING
    company, _ = run(integrator(COMPANY), cmd.RegisterCertificate, COMPANY, alias="c", facts=facts("f9"),
                     held_elsewhere=False)
    with pytest.raises(Refused, match="rcf_public_bodies_only"):
        run(company, cmd.CreatePlatform, COMPANY, platform_id="p", name="P", roles=frozenset({ev.Role.RECEIVING}),
            fingerprint="f9")
    state, _ = run(state, cmd.AttachDir3Unit, platform_id="p1", code="L01280796", name="Madrid")
    state, _ = run(state, cmd.ApprovePlatform, platform_id="p1")
    assert state.platforms["p1"].state is PlatformState.APPROVED
    assert state.platforms["p1"].dir3_units == (("L01280796", "Madrid"),)


def test_sending_platforms_are_active_at_once_and_certificates_belong_to_one_platform():
    state = with_platform(frozenset({ev.Role.SENDING}))
    assert state.platforms["p1"].state is PlatformState.ACTIVE
    with pytest.raises(Refused, match="certificate_taken"):
        run(state, cmd.CreatePlatform, platform_id="p2", name="Q", roles=frozenset({ev.Role.SENDING}),
            fingerprint="f1")
    with pytest.raises(Refused, match="last_certificate"):
        run(state, cmd.RemovePlatformCertificate, platform_id="p1", fingerprint="f1")
    state, _ = run(state, cmd.AddPlatformCertificate, platform_id="p1", fingerprint="f2")
    state, _ = run(state, cmd.RemovePlatformCertificate, platform_id="p1", fingerprint="f1")
    assert state.platforms["p1"].certificates == ("f2",) and state.certificates["f1"].platform_id == ""
    state, _ = run(state, cmd.DeletePlatform, platform_id="p1")
    assert state.certificates["f2"].platform_id == "" and state.live_platforms() == []


def test_state_is_the_fold_of_the_events():
    state = integrator()
    events = []
    for command_type, values in ((cmd.RegisterCertificate, dict(alias="a", facts=facts(), held_elsewhere=False)),
                                 (cmd.AuthorizeUser, dict(user_nif="12345678Z", name="Ana", surname1="", surname2="",
                                                          email="ana@b.es"))):
        state, produced = run(state, command_type, **values)
        events += produced
    signed = decide(None, cmd.SignUp("c1", BODY, BODY, AT, name="Entidad", email="a@b.es", third_party=False,
                                     accepted_terms=True, signed_document=b"<x/>"))
    assert fold(list(signed) + events) == state


def test_expiry_is_noticed_once_per_threshold():
    state, _ = run(integrator(), cmd.RegisterCertificate, alias="a", facts=facts(days=20), held_elsewhere=False)
    state, events = run(state, cmd.NoticeCertificateExpiry, fingerprint="f1", days=30)
    assert len(events) == 1
    assert run(state, cmd.NoticeCertificateExpiry, fingerprint="f1", days=30)[1] == ()

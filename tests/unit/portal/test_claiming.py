"""The use cases claim before appending: a failed append gives the claim back; a stale view decides again."""
from datetime import timedelta

import pytest

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_claims import Claim
from ventanilla.domain.integrator_decide import Refused
from portal_service.handlers import Actor, Portal
from tests.support.portal import COMPANY
from tests.support.portal_fakes import FixedClock, MemoryClaims, MemoryLog, MemoryMailer, MemoryReadModel

ME = Actor(COMPANY, COMPANY)
SIGN_UP = dict(name="Entidad", email="b@ejemplo.es", third_party=False, accepted_terms=True, signed_document=b"<a/>")


class BrokenLog:
    def append(self, events):
        raise TimeoutError("broker unreachable")


def portal(log=None, claims=None, model=None, caught_up=lambda: True):
    model = model or MemoryReadModel()
    return Portal(log or MemoryLog(model), model, lambda p: True, MemoryMailer(), FixedClock(), claims or MemoryClaims(),
                  caught_up)


def test_a_failed_append_gives_the_claim_back():
    model, claims = MemoryReadModel(), MemoryClaims()
    with pytest.raises(TimeoutError):
        portal(BrokenLog(), claims, model).run(ME, cmd.SignUp, **SIGN_UP)
    assert claims.version(COMPANY) == 0 and model.integrator(COMPANY) is None
    portal(claims=claims, model=model).run(ME, cmd.SignUp, **SIGN_UP)
    assert model.integrator(COMPANY).signed_up and claims.version(COMPANY) == 1


def test_a_command_decided_on_a_stale_view_is_decided_again_once_caught_up():
    first_view, own_view, claims = MemoryReadModel(), MemoryReadModel(), MemoryClaims()
    log = MemoryLog(first_view)  # one topic; only the first replica's view follows it at once
    portal(log, claims, first_view).run(ME, cmd.SignUp, **SIGN_UP)

    def catch_up():
        own_view.apply_many([(e, "integrators", 0, n) for n, e in enumerate(log.records)])
        return True

    with pytest.raises(Refused) as refused:
        portal(log, claims, own_view, caught_up=catch_up).run(ME, cmd.SignUp, **SIGN_UP)
    assert refused.value.code == "already_integrator"  # decided again against the caught-up state
    assert len(log.records) == 1


def test_a_claim_a_dead_writer_left_is_taken_over_after_catching_up():
    model, claims, clock = MemoryReadModel(), MemoryClaims(), FixedClock()
    claims.record(Claim(COMPANY, 0, 1, (), (), clock.now() - timedelta(minutes=6)))  # its events never came
    Portal(MemoryLog(model), model, lambda p: True, MemoryMailer(), clock, claims).run(ME, cmd.SignUp, **SIGN_UP)
    assert model.integrator(COMPANY).signed_up and claims.version(COMPANY) == 1


def test_a_recent_claim_ahead_of_the_log_is_not_taken_over_and_the_person_is_told_to_retry():
    model, claims, clock = MemoryReadModel(), MemoryClaims(), FixedClock()
    claims.record(Claim(COMPANY, 0, 1, (), (), clock.now()))  # another replica is appending right now
    with pytest.raises(Refused) as refused:
        Portal(MemoryLog(model), model, lambda p: True, MemoryMailer(), clock, claims).run(ME, cmd.SignUp, **SIGN_UP)
    assert refused.value.code == "busy" and model.integrator(COMPANY) is None

"""The integrators directory: a fold of the portal's events (decided by the portal's own decide) answering the doors."""
from datetime import timedelta

import pytest

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator import PlatformState
from ventanilla.domain.integrator_events import Role
from ventanilla.domain.integrators_directory import REASONS, Credential, IntegratorsDirectory, Unrecognized

from .integrator_portal import AT, BODY, COMPANY, STAFF, Portal


@pytest.fixture
def portal():
    portal = Portal()
    portal.integrator(COMPANY, third_party=True)
    portal.certificate(COMPANY, "aa01")
    portal.platform(COMPANY, "envio", "aa01", {Role.SENDING})
    portal.integrator(BODY)
    portal.certificate(BODY, "bb01")
    portal.platform(BODY, "rcf", "bb01", {Role.RECEIVING})
    return portal


def test_a_sending_platforms_certificate_may_send_and_is_no_back_office(portal):
    found = portal.directory.credential("AA01", AT)
    assert found == Credential("aa01", COMPANY, True, "envio", "envio", frozenset({Role.SENDING}),
                               PlatformState.ACTIVE, frozenset())
    assert found.may_send and not found.is_back_office


def test_an_rcf_platform_is_a_back_office_only_once_approved_with_its_units(portal):
    assert not portal.directory.credential("bb01", AT).is_back_office
    portal.run(cmd.ApprovePlatform, BODY, actor=STAFF, platform_id="rcf")
    portal.run(cmd.AttachDir3Unit, BODY, actor=STAFF, platform_id="rcf", code="GE0001234", name="Oficina")
    found = portal.directory.credential("bb01", AT)
    assert found.is_back_office and not found.may_send and found.dir3_units == {"GE0001234"}
    portal.run(cmd.RefusePlatform, BODY, actor=STAFF, platform_id="rcf", reason="no")
    assert not portal.directory.credential("bb01", AT).is_back_office


@pytest.mark.parametrize("fingerprint, reason", [("cc01", "unregistered"), ("bb02", "no_platform")])
def test_unknown_and_platformless_certificates_authorize_nothing(portal, fingerprint, reason):
    portal.certificate(BODY, "bb02")
    found = portal.directory.credential(fingerprint, AT)
    assert isinstance(found, Unrecognized) and found.reason == reason and found.reason in REASONS


def test_a_removed_certificate_and_a_deleted_platform_authorize_nothing(portal):
    portal.certificate(COMPANY, "aa02")
    portal.run(cmd.RemoveCertificate, COMPANY, fingerprint="aa02")
    assert portal.directory.credential("aa02", AT) == Unrecognized("aa02", "removed", COMPANY)
    portal.run(cmd.DeletePlatform, COMPANY, platform_id="envio")
    assert portal.directory.credential("aa01", AT) == Unrecognized("aa01", "no_platform", COMPANY)


def test_an_expired_certificate_authorizes_nothing_from_its_not_after_on(portal):
    assert isinstance(portal.directory.credential("aa01", AT + timedelta(days=364)), Credential)
    assert portal.directory.credential("aa01", AT + timedelta(days=365)).reason == "expired"


def test_units_at_the_time_of_a_message(portal):
    portal.run(cmd.ApprovePlatform, BODY, actor=STAFF, platform_id="rcf")
    portal.run(cmd.AttachDir3Unit, BODY, at=AT + timedelta(hours=1), actor=STAFF, platform_id="rcf", code="U1",
               name="U1")
    portal.run(cmd.DetachDir3Unit, BODY, at=AT + timedelta(hours=2), actor=STAFF, platform_id="rcf", code="U1")
    directory = portal.directory
    assert [directory.units_at("rcf", AT + timedelta(minutes=m)) for m in (30, 60, 90, 120)] == [
        frozenset(), {"U1"}, {"U1"}, frozenset()]
    assert directory.owners_of_unit("U1", AT + timedelta(minutes=90)) == {"rcf"}
    assert directory.owners_of_unit("U1", AT + timedelta(minutes=150)) == frozenset()


def test_a_repeated_event_is_dropped_and_the_fold_is_the_aggregates(portal):
    again = IntegratorsDirectory()
    for event in portal.events + portal.events:
        again.apply(event)
    assert again.integrator(COMPANY) == portal.states[COMPANY]
    assert again.credential("aa01", AT) == portal.directory.credential("aa01", AT)

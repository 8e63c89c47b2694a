"""The directory follows the integrators topic: ready once caught up, and a removal in the portal says no within 5 s."""
from datetime import datetime, timezone

import pytest

from ventanilla.adapters.directory_follower import DirectoryFollower
from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings
from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrators_directory import Credential, Unrecognized
from portal_service.handlers import Actor
from tests.support.integrators import Enrolment, fingerprint, until
from tests.support.portal_kafka import portal_env, start_portal

pytestmark = pytest.mark.integration
BODY, COMPANY = "Q2826000H", "B23103039"
GOAL_S = 5.0


def now():
    return datetime.now(timezone.utc)


@pytest.fixture
def enrolment(settings_env, tmp_path):
    enrol = Enrolment.new(tmp_path / "trust")
    env = portal_env(settings_env, tmp_path / "trust", "00000000T")
    ensure_topics(Settings.from_env(env))
    process = start_portal(env)
    enrol.portal = process.portal
    try:
        yield enrol, Settings.from_env(env)
    finally:
        process.stop()


def follower(settings: Settings) -> DirectoryFollower:
    started = DirectoryFollower(settings.kafka.bootstrap_servers, settings.topics.integrator_events,
                                "test-directory", settings.kafka.security)
    started.start()
    return started


def test_ready_only_after_catching_up_then_removals_say_no_within_5_s(enrolment):
    enrol, settings = enrolment
    enrol.sign_up(COMPANY)
    sender, spare = enrol.client(COMPANY, "A"), enrol.client(COMPANY, "B")
    platform_id = enrol.platform(COMPANY, sender)
    enrol.portal.run(Actor(COMPANY, COMPANY), cmd.AddPlatformCertificate, platform_id=platform_id,
                     fingerprint=enrol.register(COMPANY, spare))
    enrol.sign_up(BODY)
    rcf = enrol.back_office(BODY, enrol.client(BODY), ("GE0000001",))

    directory = follower(settings)
    try:
        until(directory.ready)  # everything written before the start is in once ready
        found = directory.store.credential(fingerprint(sender), now())
        assert isinstance(found, Credential) and found.may_send and found.platform_id == platform_id
        assert directory.store.credential(fingerprint(spare), now()).platform_id == platform_id
        assert directory.store.units_at(rcf, now()) == {"GE0000001"}

        enrol.portal.run(Actor(COMPANY, COMPANY), cmd.RemovePlatformCertificate, platform_id=platform_id,
                         fingerprint=fingerprint(spare))
        enrol.portal.run(Actor(COMPANY, COMPANY), cmd.RemoveCertificate, fingerprint=fingerprint(spare))
        removed_s = until(lambda: directory.store.credential(fingerprint(spare), now()).reason == "removed")
        enrol.portal.run(Actor(COMPANY, COMPANY), cmd.DeletePlatform, platform_id=platform_id)
        deleted_s = until(lambda: isinstance(directory.store.credential(fingerprint(sender), now()), Unrecognized))
        assert removed_s < GOAL_S and deleted_s < GOAL_S, (removed_s, deleted_s)
    finally:
        directory.stop()

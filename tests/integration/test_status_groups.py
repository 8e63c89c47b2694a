"""The status service in its consumer groups: it leaves them when stopped, a restarted static member is back at once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from ventanilla.processes import dying_with_parent

pytestmark = pytest.mark.integration


def _members(settings) -> dict[str, list]:
    """Members of the intake and notices groups: group -> [(member id, group instance id)]."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    try:
        groups = admin.describe_groups([settings.status_groups.backoffice, settings.status_groups.notices])
    finally:
        admin.close()
    return {name: [(m["member_id"], m.get("group_instance_id")) for m in group["members"]]
            for name, group in groups.items()}


def _joined(settings, before: dict | None = None) -> dict | None:
    """The members once each group has one (other than `before`'s), else None."""
    members = _members(settings)
    fresh = before is None or all(group != before[name] for name, group in members.items())
    return members if fresh and all(len(group) == 1 for group in members.values()) else None


def _start(settings_env, extra=()) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")}, **settings_env, **dict(extra)}
    return subprocess.Popen(dying_with_parent([sys.executable, "-m", "status_service"]), env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _until(condition, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if found := condition():
                return found
        except KafkaError:  # the group's coordinator is not known yet
            pass
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_a_stopped_replica_leaves_its_groups_at_once(kafka_settings, settings_env):
    status = _start(settings_env)
    try:
        _until(lambda: _joined(kafka_settings))
        stopped = time.monotonic()
        status.send_signal(signal.SIGTERM)
        assert status.wait(30) == 0
        _until(lambda: not any(_members(kafka_settings).values()), timeout_s=5)  # no 10 s session to expire
        assert time.monotonic() - stopped < 10
    finally:
        status.kill()
        status.wait()


def test_a_static_member_killed_and_restarted_takes_its_place_back(kafka_settings, settings_env):
    static = {"VENTANILLA_GROUP_INSTANCE_ID": "status-0", "VENTANILLA_GROUP_SESSION_TIMEOUT_MS": "45000"}
    status = _start(settings_env, static)
    try:
        first = _until(lambda: _joined(kafka_settings))
        status.kill()
        status.wait()
        killed = time.monotonic()
        status = _start(settings_env, static)
        again = _until(lambda: _joined(kafka_settings, first))
        assert time.monotonic() - killed < 30  # not the 45 s session of the dead member
        assert all(g[0][1] == "status-0" for g in again.values())
    finally:
        status.kill()
        status.wait()

"""Deadlines nest: the edge's deadline for a write outlives every stage behind it, so its answers are true."""
from __future__ import annotations

import pytest

from cancellation_service.__main__ import worst_case_s as cancellation_worst_case_s
from registry_service.__main__ import timing
from registry_service.grpc_api import ANSWER_MARGIN_S
from ventanilla.config import Settings


@pytest.mark.parametrize("env", [
    {},  # the defaults: 15 s appends
    {"VENTANILLA_KAFKA_APPEND_TIMEOUT_S": "5", "VENTANILLA_READ_YOUR_WRITES_TIMEOUT_S": "2"},  # the fault suite
    {"VENTANILLA_KAFKA_APPEND_TIMEOUT_S": "30"},
])
def test_the_write_deadline_outlives_the_registry_and_the_cancellation(env):
    settings = Settings.from_env(env)
    registry = timing(settings)
    assert registry.budget_s + ANSWER_MARGIN_S <= settings.deadlines.write_s
    assert registry.reserve_s + 5 <= registry.budget_s  # time left for the checks and for a pending claim
    assert registry.lease.total_seconds() > settings.deadlines.write_s  # no claim is settled while in progress
    assert cancellation_worst_case_s(settings) + ANSWER_MARGIN_S <= settings.deadlines.write_s
    assert settings.deadlines.query_s < settings.deadlines.write_s

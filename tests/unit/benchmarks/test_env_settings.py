"""The benchmarks' `VAR=VALUE` settings (--stack-env and the like): parsed as given, a malformed one refused by name."""
from __future__ import annotations

import pytest

from tests.benchmarks.benchstack import env_settings


def test_settings_keep_everything_after_the_first_equals_sign_and_the_last_of_a_repeated_name():
    assert env_settings(["VENTANILLA_EDGE_REGISTRY_CHANNELS=32", "GRPC_EXPERIMENTS=a=b", "X=", "X=2"]) == {
        "VENTANILLA_EDGE_REGISTRY_CHANNELS": "32", "GRPC_EXPERIMENTS": "a=b", "X": "2"}


@pytest.mark.parametrize("bad", ["VENTANILLA_EDGE_REGISTRY_CHANNELS", "=32", ""])
def test_a_setting_without_a_name_or_an_equals_sign_stops_with_its_text(bad):
    with pytest.raises(SystemExit, match=f"expected VAR=VALUE, got {bad!r}"):
        env_settings(["A=1", bad])

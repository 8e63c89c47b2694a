"""The edge's state batch linger from VENTANILLA_EDGE_STATE_BATCH_LINGER_MS: 3 ms by default, 0 for none."""
from __future__ import annotations

import pytest

from ventanilla.config import Settings


def _linger_ms(tmp_path, **env) -> float:
    return Settings.from_env({"VENTANILLA_STATE_DIR": str(tmp_path), **env}).edge.state_batch_linger_ms


def test_the_linger_is_read_from_the_environment(tmp_path):
    assert _linger_ms(tmp_path) == 3.0
    assert _linger_ms(tmp_path, VENTANILLA_EDGE_STATE_BATCH_LINGER_MS="0") == 0.0
    assert _linger_ms(tmp_path, VENTANILLA_EDGE_STATE_BATCH_LINGER_MS="2.5") == 2.5


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_a_linger_that_is_no_duration_is_refused_by_name(tmp_path, value):
    with pytest.raises(ValueError, match="VENTANILLA_EDGE_STATE_BATCH_LINGER_MS"):
        _linger_ms(tmp_path, VENTANILLA_EDGE_STATE_BATCH_LINGER_MS=value)

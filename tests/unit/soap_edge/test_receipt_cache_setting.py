"""The edge worker's receipt budget from VENTANILLA_EDGE_RECEIPT_CACHE_MB: 16 MB by default, 0 for none."""
from __future__ import annotations

import pytest

from ventanilla.config import Settings


def _budget_mb(tmp_path, **env) -> float:
    return Settings.from_env({"VENTANILLA_STATE_DIR": str(tmp_path), **env}).edge.receipt_cache_mb


def test_the_budget_is_read_from_the_environment(tmp_path):
    assert _budget_mb(tmp_path) == 16.0
    assert _budget_mb(tmp_path, VENTANILLA_EDGE_RECEIPT_CACHE_MB="0") == 0.0
    assert _budget_mb(tmp_path, VENTANILLA_EDGE_RECEIPT_CACHE_MB="0.5") == 0.5


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_a_budget_that_is_no_size_is_refused_by_name(tmp_path, value):
    with pytest.raises(ValueError, match="VENTANILLA_EDGE_RECEIPT_CACHE_MB"):
        _budget_mb(tmp_path, VENTANILLA_EDGE_RECEIPT_CACHE_MB=value)

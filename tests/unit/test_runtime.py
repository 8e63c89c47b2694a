"""The interpreter settings of long-running processes: read from the environment, applied by the composition roots."""
from __future__ import annotations

import gc
import sys

import pytest

from ventanilla import runtime
from ventanilla.config import RuntimeSettings, Settings


@pytest.fixture
def restored():
    """Leave the test process as it was: its switch interval, and nothing frozen."""
    interval = sys.getswitchinterval()
    yield
    sys.setswitchinterval(interval)
    gc.unfreeze()


def test_the_defaults_are_read_from_the_environment():
    settings = Settings.from_env({}).runtime
    assert settings == RuntimeSettings(5.0, True)  # Python's switch interval; start-up frozen
    assert RuntimeSettings.from_env({"VENTANILLA_SWITCH_INTERVAL_MS": "0.5", "VENTANILLA_GC_FREEZE": "0"}) == \
        RuntimeSettings(0.5, False)
    assert RuntimeSettings.from_env({"VENTANILLA_GC_FREEZE": "1"}).gc_freeze is True


@pytest.mark.parametrize("value", ["0", "-1", "101"])
def test_a_switch_interval_out_of_bounds_is_refused(value):
    with pytest.raises(ValueError, match="VENTANILLA_SWITCH_INTERVAL_MS"):
        RuntimeSettings.from_env({"VENTANILLA_SWITCH_INTERVAL_MS": value})


def test_a_gc_freeze_that_is_not_a_boolean_is_refused():
    with pytest.raises(ValueError, match="VENTANILLA_GC_FREEZE"):
        RuntimeSettings.from_env({"VENTANILLA_GC_FREEZE": "sometimes"})


def test_tune_sets_the_switch_interval(restored):
    runtime.tune(RuntimeSettings(0.5, False))
    assert sys.getswitchinterval() == pytest.approx(0.0005)


def test_settle_freezes_what_was_built_only_when_asked(restored):
    gc.unfreeze()
    runtime.settle(RuntimeSettings(5.0, False))
    assert gc.get_freeze_count() == 0
    built = [{"object": n} for n in range(1000)]
    runtime.settle(RuntimeSettings(5.0, True))
    assert gc.get_freeze_count() >= len(built)
    assert all(not gc.is_finalized(item) for item in built)  # still alive, only out of the collector's sight


def test_each_edge_worker_freezes_what_it_built(restored, monkeypatch):
    from soap_edge import __main__ as edge

    built = object()
    monkeypatch.setattr(edge, "build", lambda settings, observability: built)
    monkeypatch.setattr(edge.Observability, "worker", staticmethod(lambda name: None))
    gc.unfreeze()
    assert edge.worker_app(Settings.from_env({"VENTANILLA_GC_FREEZE": "0"})) is built
    assert gc.get_freeze_count() == 0
    assert edge.worker_app(Settings.from_env({})) is built  # on by default
    assert gc.get_freeze_count() > 0

"""The interpreter settings of long-running processes: read from the environment, applied by the composition roots."""
from __future__ import annotations

import gc
import sys

import pytest

from ventanilla import runtime
from ventanilla.config import RuntimeSettings, Settings


@pytest.fixture
def restored():
    """Leave the test process as it was: its switch interval, its collection thresholds, and nothing frozen."""
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    yield
    sys.setswitchinterval(interval)
    gc.set_threshold(*thresholds)
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


def test_the_full_collection_threshold_is_read_from_the_environment():
    assert Settings.from_env({}).runtime.gc_full_threshold == 100
    assert RuntimeSettings.from_env({"VENTANILLA_GC_FULL_THRESHOLD": "10"}).gc_full_threshold == 10
    with pytest.raises(ValueError, match="VENTANILLA_GC_FULL_THRESHOLD"):
        RuntimeSettings.from_env({"VENTANILLA_GC_FULL_THRESHOLD": "0"})


def test_tune_sets_the_full_collection_threshold_and_keeps_the_others(restored):
    gc.set_threshold(700, 10, 10)
    runtime.tune(RuntimeSettings(5.0, False, 100))
    assert gc.get_threshold() == (700, 10, 100)


def test_a_full_collection_comes_only_after_that_many_middle_ones(restored):
    """CPython's rule, as tune relies on it: allocations set off collections of the young generations, and a full one
    only once the middle generation has been collected more times than the third threshold."""
    full = []

    def seen(phase, info):
        if phase == "start" and info["generation"] == 2:
            full.append(info)

    def full_collections(threshold: int) -> int:
        runtime.tune(RuntimeSettings(5.0, False, threshold))
        gc.collect()
        full.clear()
        kept = [[] for _ in range(400_000)]  # long-lived objects, as a process builds them: automatic collections
        del kept
        return len(full)

    gc.callbacks.append(seen)
    try:
        assert full_collections(10) >= 1  # Python's own: a full collection every 100 young ones, here
        assert full_collections(1000) == 0
    finally:
        gc.callbacks.remove(seen)


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


def test_grpc_env_gives_the_experiments_unless_the_environment_sets_its_own():
    assert runtime.grpc_env({}) == {"GRPC_EXPERIMENTS": runtime.GRPC_EXPERIMENTS}
    assert runtime.grpc_env({"GRPC_EXPERIMENTS": ""}) == {"GRPC_EXPERIMENTS": ""}  # an operator's: grpc's defaults
    assert runtime.grpc_env({"GRPC_EXPERIMENTS": "-event_engine_client"}) == {"GRPC_EXPERIMENTS": "-event_engine_client"}


def test_the_image_starts_every_service_with_the_same_experiments():
    from pathlib import Path

    dockerfile = Path(__file__).resolve().parents[2] / "deploy" / "docker" / "Dockerfile"
    settings = [word.split("=", 1)[1] for word in dockerfile.read_text().split() if word.startswith("GRPC_EXPERIMENTS=")]
    assert settings == [runtime.GRPC_EXPERIMENTS]

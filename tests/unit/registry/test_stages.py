"""Stage times of a submission: every lap lands in its stage, each stage is observed once."""
from __future__ import annotations

from registry_service.stages import INTAKE_STAGES, Laps
from ventanilla.facturae.intake import STEPS
from ventanilla.observability.catalogue import REGISTRY_STAGES


def test_each_stage_is_observed_once_with_the_sum_of_its_laps():
    seen: list[tuple[str, float]] = []
    laps = Laps(lambda stage, seconds: seen.append((stage, seconds)))
    for step in STEPS:
        laps.intake_step(step, True)
    for stage in ("claims", "storage", "receipt", "storage", "append", "claims"):
        laps.lap(stage)
    laps.done()
    stages = [stage for stage, _ in seen]
    assert sorted(stages) == sorted(set(stages)) and set(stages) <= set(REGISTRY_STAGES)
    assert all(seconds >= 0 for _, seconds in seen)


def test_every_intake_step_maps_to_a_catalogue_stage():
    assert set(STEPS) == set(INTAKE_STAGES) and set(INTAKE_STAGES.values()) <= set(REGISTRY_STAGES)


def test_without_an_observer_nothing_happens():
    laps = Laps(None)
    laps.lap("parse")
    laps.done()

"""The registry's metrics: submissions by outcome, claim conflicts, registrations, stage times."""
from __future__ import annotations

from ventanilla.domain.errors import ErrorKey
from ventanilla.observability.catalogue import outcome_of
from ventanilla.observability.metrics import Metrics


class Metering:
    """Observes what the submission use case and its gRPC face report."""

    def __init__(self, metrics: Metrics):
        self._metrics = metrics

    def stage(self, stage: str, seconds: float) -> None:
        """Time spent in one stage of a submission."""
        self._metrics.registry_stage_duration.labels(stage=stage).observe(seconds)

    def submission(self, key: ErrorKey | None) -> None:
        """A submission decided: registered (None) or refused with key."""
        outcome, fault_key = outcome_of(key)
        self._metrics.registry_submissions.labels(outcome=outcome, fault_key=fault_key).inc()
        if key is None:
            self._metrics.invoices_registered.inc()
        elif key is ErrorKey.FACTURA_REPETIDA:
            self._metrics.registry_claim_conflicts.inc()

"""The portal's metrics: logins by outcome, sign-ups, certificate changes (from the events it decides)."""
from __future__ import annotations

from ventanilla.observability.metrics import NoMetrics

# integrator events that change a certificate -> the action label
CERTIFICATE_ACTIONS = {"ventanilla.integrator.certificate_registered": "registered",
                       "ventanilla.integrator.certificate_removed": "removed",
                       "ventanilla.integrator.platform_certificate_added": "platform_added",
                       "ventanilla.integrator.platform_certificate_removed": "platform_removed"}
SIGNED_UP = "ventanilla.integrator.signed_up"


class Metering:
    """Counts what the portal's pages and commands report."""

    def __init__(self, metrics=None):
        self._metrics = metrics if metrics is not None else NoMetrics("portal")

    def login(self, outcome: str) -> None:
        """A login succeeded ("ok") or was refused ("refused")."""
        self._metrics.portal_logins.labels(outcome=outcome).inc()

    def decided(self, event_types: list[str]) -> None:
        """The events a command appended."""
        for event_type in event_types:
            if event_type == SIGNED_UP:
                self._metrics.portal_signups.labels(outcome="ok").inc()
            elif event_type in CERTIFICATE_ACTIONS:
                self._metrics.portal_certificate_changes.labels(action=CERTIFICATE_ACTIONS[event_type]).inc()

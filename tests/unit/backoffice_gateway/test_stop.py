"""A stopping gateway gives each closer what is left of its stop's budget (ventanilla/stopping.py)."""
from __future__ import annotations

from backoffice_gateway.__main__ import GatewayProcess
from backoffice_gateway.adapters import KafkaOutbox
from ventanilla.stopping import CLOSE_S, StopBudget


class Closing:
    """A closeable that keeps the timeout each close was given."""

    def __init__(self):
        self.timeouts: list[float] = []

    def close(self, timeout_s: float | None = None) -> None:
        self.timeouts.append(timeout_s)


def test_each_closer_is_given_the_time_left_of_the_stop():
    closing = [Closing(), Closing()]
    GatewayProcess(object(), [], 1.0, closing, grace_s=1.0).stop(StopBudget(2.0))
    timeouts = [t for c in closing for t in c.timeouts]
    assert len(timeouts) == 2 and all(t is not None and 0 < t <= min(2.0, CLOSE_S) for t in timeouts), timeouts


def test_the_outbox_flushes_its_producer_within_the_timeout_it_is_given():
    publisher = Closing()
    KafkaOutbox(publisher, "ventanilla.backoffice-updates.v1").close(1.5)
    assert publisher.timeouts == [1.5]

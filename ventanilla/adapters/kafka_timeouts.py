"""kafka-python's poll timeouts without reference cycles: an idle poll no longer leaves garbage for a full collection.

kafka-python 3.0.12 ends every poll that gets no record in a KafkaTimeoutError: `Fetcher.fetch_records` waits for
its in-flight fetch with `NetworkSelector.run(manager.wait_for, wakeup, timeout_ms)` and swallows the timeout
(`except KafkaTimeoutError: pass`, kafka/consumer/fetcher.py). The error's traceback holds the finished frames of
the IO thread (`Future.__await__`'s `self`, `wait_for`'s wrapper future, `run`'s `state` dict), each of which holds
the error again: ~2.4 such cycles (6 tracebacks, ~50 objects) per idle 200 ms poll, per consumer. They are collectable,
but they outlive the young generations while the fetch is in flight and pile up for full collections (docs/benchmarks.md,
"kafka-python's idle-poll timeouts"). Upstream's main branch raises the same way; no upstream issue was found.
"""
from __future__ import annotations

import functools
import traceback

from kafka.errors import KafkaTimeoutError
from kafka.net.selector import NetworkSelector


def without_cycles() -> None:
    """Make `NetworkSelector.run` raise its timeouts as a fresh KafkaTimeoutError (same message) whose traceback
    starts at the caller, after clearing the finished frames of the original one (idempotent)."""
    run = NetworkSelector.run
    if getattr(run, "ventanilla_without_cycles", False):
        return

    @functools.wraps(run)
    def run_without_cycles(self, coro, *args, **kwargs):
        try:
            return run(self, coro, *args, **kwargs)
        except KafkaTimeoutError as error:
            message = error.args
            traceback.clear_frames(error.__traceback__)
            error.__traceback__ = None
        raise KafkaTimeoutError(*message)  # outside the handler: no __context__ back to the original

    run_without_cycles.ventanilla_without_cycles = True
    NetworkSelector.run = run_without_cycles

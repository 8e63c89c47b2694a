"""A bounded stop: after SIGTERM every step shares one budget, and a watchdog ends the process at the bound.

Kubernetes kills a pod terminationGracePeriodSeconds after SIGTERM; a service must be gone before that, whatever
its Kafka client does while the broker does not answer (docs/operations.md, "Stopping"). Each step of a stop waits
at most what is left of the budget; what still hangs at the bound (a library call that ignores its timeout, a
handler thread the interpreter would join at exit) is cut short: the stacks of every thread go to stderr and the
process exits with status 1.
"""
from __future__ import annotations

import faulthandler
import logging
import os
import sys
import threading
import time
from typing import Callable

log = logging.getLogger("ventanilla.stopping")

CLOSE_S = 3.0  # the most closing the Kafka clients may take (leave a group, flush what is queued), all at once
FLUSH_S = 2.0  # the most exporting the spans still buffered may take (a collector that does not answer)
RESERVE_S = 10.0  # a bound's part after the calls under way: consumers' threads, clients' closes, the span flush
HUNG = 1  # the exit status of a stop cut short at its bound
BACKSTOP_S = 2.0  # past the bound, faulthandler's own thread exits if the watchdog could not (no GIL, a log stuck)


def stop_bound_s(grace_s: float) -> float:
    """A service's stop bound, from SIGTERM to exit: grace_s for its calls under way (new ones refused at once), then
    RESERVE_S for the rest: its consumers' threads ending (CLOSE_S), its Kafka clients' closes (CLOSE_S), the export
    of the spans still buffered (FLUSH_S) and the interpreter's exit. Each service's composition root calls it with
    its own grace; the pods' terminationGracePeriodSeconds add a margin (docs/operations.md, "Stopping")."""
    return grace_s + RESERVE_S


def close_all(closers: list[Callable[[float], object]], budget: "StopBudget") -> None:
    """Call every closer(timeout_s) at once, each in a thread, and wait for them within CLOSE_S and the budget."""
    window = StopBudget(budget.left(CLOSE_S))
    threads = [threading.Thread(target=_closing, args=(close, window.left()), name="stop-close", daemon=True)
               for close in closers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(window.left())


def _closing(close: Callable[[float], object], timeout_s: float) -> None:
    """close(timeout_s); its failure logged (a thread's exception would reach stderr as a bare traceback)."""
    try:
        close(timeout_s)
    except Exception:  # noqa: BLE001 - one client's failed close must not keep the stop from the others
        name = getattr(close, "__qualname__", None) or getattr(getattr(close, "func", None), "__qualname__", "?")
        log.exception("a close failed while stopping", extra={"closer": name})


class StopBudget:
    """The seconds left of a stop that began when this was made."""

    def __init__(self, bound_s: float, clock=time.monotonic):
        self.bound_s, self._clock = bound_s, clock
        self._deadline = clock() + bound_s

    def left(self, cap_s: float = float("inf")) -> float:
        """What is left of the budget, at most cap_s, never below zero."""
        return max(0.0, min(cap_s, self._deadline - self._clock()))

    def watch(self) -> threading.Thread:
        """Exit the process (status 1, every thread's stack on stderr) if it is still there at the bound; if the
        watchdog thread cannot (a thread keeps the GIL, its log line waits for a handler's lock), faulthandler's
        own thread exits BACKSTOP_S later, without the log line."""
        try:
            faulthandler.dump_traceback_later(self.left() + BACKSTOP_S, exit=True, file=sys.stderr)
        except (OSError, ValueError, AttributeError, RuntimeError):  # no stderr to write the stacks to
            faulthandler.dump_traceback_later(self.left() + BACKSTOP_S, exit=True,
                                              file=open(os.devnull, "w"))  # noqa: SIM115 - faulthandler keeps it
        thread = threading.Thread(target=self._cut_short, name="stop-watchdog", daemon=True)
        thread.start()
        return thread

    def _cut_short(self) -> None:
        time.sleep(self.left())
        log.error("the stop passed its bound; exiting now", extra={"bound_s": self.bound_s})
        try:
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        except (OSError, ValueError, AttributeError, RuntimeError):  # no stderr left to write to
            pass
        os._exit(HUNG)  # noqa: SLF001 - the point: no atexit handler or thread join may hold the exit up

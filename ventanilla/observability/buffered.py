"""prometheus-client's multiprocess values written in batches: increments add up in memory, and a daemon thread
writes them to the process's file every flush period, at exit, and before this process's own scrape."""
from __future__ import annotations

import atexit
import collections
import logging
import os
import threading
import time
import weakref
from typing import Callable

from prometheus_client import values

log = logging.getLogger("ventanilla.observability")
MOST_RECENT_MODES = frozenset({"mostrecent", "livemostrecent"})  # their timestamp is the write's: written through
BOUND = 1024  # increments a value gathers at most: the one that reaches it writes them at once (memory stays bounded)


class BufferedValues:
    """A value class for prometheus-client (`values.ValueClass = BufferedValues(...).value_class`).

    `inc` is a deque's `append` (atomic in CPython, so no increment is lost between threads, without a lock: a
    float's `+=` under a lock costs about five times as much) and the flusher pops what gathered and adds it to
    the library's own mmap-backed value (`MultiProcessValue`), which keeps the
    file layout, the fork handling and the readers unchanged. `set` writes through (what gathered is dropped: the
    set value replaces it), as do gauges whose mode keeps the most recent write. A scrape sees a process's
    increments at most one flush period late; a forked child starts with nothing gathered (the parent's
    increments are the parent's to write) and its own flusher. A value never holds more than `bound` increments
    (a busy process, or a flusher kept waiting): the increment that reaches the bound writes them itself (about
    50 ns more per increment than the bare `append`)."""

    def __init__(self, process_identifier: Callable[[], int] = os.getpid, period: float = 1.0, bound: int = BOUND):
        self.period, self.bound = period, bound
        self._lock = threading.Lock()
        self._values: weakref.WeakSet = weakref.WeakSet()
        self._first: list[Callable[[], object]] = []  # run before each flush: tallies hand over what they kept
        self.value_class = self._make_class(values.MultiProcessValue(process_identifier=process_identifier))
        self._start()
        # no fork while a flush writes (the child would inherit prometheus-client's file lock held for ever)
        os.register_at_fork(before=lambda: self._lock.acquire(), after_in_parent=lambda: self._lock.release(),
                            after_in_child=self._forked)  # lambdas: the lock is the current one, a child's own
        atexit.register(self.flush)

    def before_flush(self, hook: Callable[[], object]) -> None:
        """Run hook (outside the flusher's lock: it may increment values) before every flush."""
        self._first.append(hook)

    def flush(self) -> None:
        """Write every value's gathered increments to this process's file now."""
        for hook in list(self._first):
            hook()
        with self._lock:  # held while writing, so that a set() cannot fall between a take and its write
            for value in list(self._values):
                if value.gathered:
                    value.mmaped.inc(value.take())

    def _start(self) -> None:
        threading.Thread(target=self._run, name="metrics-flusher", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.period)
            try:
                self.flush()
            except Exception:  # a flusher that died would stop this process's metrics without a word
                log.exception("metric values could not be written; trying again")

    def _forked(self) -> None:
        self._lock = threading.Lock()  # the parent's, held across the fork, is released in the parent only
        for value in list(self._values):
            value.gathered.clear()
        self._start()

    def _make_class(self, mmaped_class: type) -> type:
        owner = self

        class BufferedValue:
            """An mmap-backed value whose increments are written in batches."""

            _multiprocess = True

            def __init__(self, typ, metric_name, name, labelnames, labelvalues, help_text, multiprocess_mode="",
                         **kwargs):
                self.mmaped = mmaped_class(typ, metric_name, name, labelnames, labelvalues, help_text,
                                           multiprocess_mode=multiprocess_mode, **kwargs)
                self.gathered: collections.deque = collections.deque()
                if multiprocess_mode not in MOST_RECENT_MODES:
                    self.inc = self._bounded_inc()  # instance attribute: an append and a length check
                    with owner._lock:
                        owner._values.add(self)

            def _bounded_inc(self) -> Callable[[float], None]:
                gathered, append, bound = self.gathered, self.gathered.append, owner.bound

                def inc(amount):
                    append(amount)
                    if len(gathered) >= bound:
                        self.write_gathered()
                return inc

            def write_gathered(self) -> None:
                """Write what gathered now (under the flusher's lock: one taker at a time)."""
                with owner._lock:
                    if self.gathered:
                        self.mmaped.inc(self.take())

            def take(self) -> float:
                """The sum of what gathered, popped (appends racing with it stay for the next flush)."""
                popleft = self.gathered.popleft
                return sum(popleft() for _ in range(len(self.gathered)))

            def inc(self, amount):
                self.mmaped.inc(amount)

            def set(self, value, timestamp=None):
                with owner._lock:
                    self.gathered.clear()
                    self.mmaped.set(value, timestamp)

            def set_exemplar(self, exemplar):
                self.mmaped.set_exemplar(exemplar)

            def get(self):
                return self.mmaped.get() + sum(list(self.gathered))

            def get_exemplar(self):
                return self.mmaped.get_exemplar()

        return BufferedValue

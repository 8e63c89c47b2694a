"""Observations tallied in plain per-thread rows and added to prometheus-client's own metrics only when collected
(before a scrape, and by the multiprocess flusher): one row per observation instead of a value call per sample."""
from __future__ import annotations

import os
import threading
import weakref
from bisect import bisect_left
from typing import Callable, Sequence


class Part:
    """Where one metric's samples sit in a row: a counter's value (1 slot) or a histogram's sum and per-bucket
    counts (1 + buckets slots, the last bucket +Inf), and the metric's label values from the row's key."""

    def __init__(self, metric, offset: int, labels: Callable[[tuple], tuple], bounds: Sequence[float] | None):
        self.metric, self.offset, self.labels, self.bounds = metric, offset, labels, bounds
        self.width = 1 if bounds is None else 1 + len(bounds)
        self._children: dict[tuple, object] = {}

    def child(self, key: tuple):
        """The metric's child for a row's key (looked up once per label values)."""
        values = self.labels(key)
        found = self._children.get(values)
        if found is None:
            found = self._children[values] = self.metric.labels(*values) if values else self.metric
        return found


class Rows:
    """One kind of observation's rows, by key, per thread: `rows.row(key)` is this thread's list of numbers, which
    only this thread writes (`row[i] += x`, no lock: no other thread ever writes it, and a reader sees an old or a
    new number, never a torn one). `collect()` adds every thread's rows up and gives each metric's child what was
    not given yet; what a counter or histogram child receives is the same as one observation at a time. A thread
    that has ended writes no more: at the next collection its rows are added into one table of ended threads' rows
    and its own table let go (thread churn leaves neither more tables to read nor observations lost)."""

    def __init__(self):
        self.parts: list[Part] = []
        self.width = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self._tables: list[tuple[threading.Thread, dict[tuple, list]]] = []  # each thread's, with its thread
        self._ended: dict[tuple, list] = {}  # the rows of threads that have ended, added up
        self._given: dict[tuple, list] = {}  # key -> the sums already handed to the metrics
        os.register_at_fork(after_in_child=_after_fork(weakref.ref(self)))  # a weak one: a fork hook is for ever

    def added(self, metric, labels: Callable[[tuple], tuple]) -> int:
        """A counter, or a gauge, fed from this row by additions (`row[i] += x`); its slot's index."""
        return self._part(metric, labels, None)

    def histogram(self, metric, labels: Callable[[tuple], tuple]) -> tuple[int, tuple[float, ...]]:
        """A histogram fed from this row: the index of its sum's slot (its buckets' counts follow) and its upper
        bounds (+Inf last; a value goes in the bucket `bucket(bounds, value)`)."""
        bounds = tuple(metric._upper_bounds)  # noqa: SLF001 - the metric's own buckets, exactly
        return self._part(metric, labels, bounds), bounds

    def _part(self, metric, labels, bounds) -> int:
        part = Part(metric, self.width, labels, bounds)
        self.parts.append(part)
        self.width += part.width
        return part.offset

    @property
    def local(self) -> threading.local:
        """Where this thread's rows are, for the hot path: `try: row = rows.local.table[key]` and on AttributeError
        or KeyError `row = rows.row(key)` (no Python call when the row exists)."""
        return self._local

    def row(self, key: tuple) -> list:
        """This thread's row for a key (its table and the row made, and made known to the collector, if new)."""
        try:
            table = self._local.table
        except AttributeError:
            table = self._local.table = {}
            with self._lock:
                self._tables.append((threading.current_thread(), table))
        found = table.get(key)
        if found is None:
            with self._lock:  # a reader copies a table's items under the same lock
                found = table[key] = [0] * self.width
        return found

    def collect(self) -> None:
        """Hand every key's new observations (all threads' rows less what was handed before) to the metrics."""
        with self._lock:
            self._retire_ended()
            tables = [self._ended, *(table for _thread, table in self._tables)]
            items = [(key, list(row)) for table in tables for key, row in table.items()]
        totals: dict[tuple, list] = {}
        for key, row in items:
            total = totals.get(key)
            if total is None:
                totals[key] = row
            else:
                for i, x in enumerate(row):
                    total[i] += x
        for key, total in totals.items():
            given = self._given.setdefault(key, [0] * self.width)
            for part in self.parts:  # a part counts as given once handed: one that fails is handed next time
                start, end = part.offset, part.offset + part.width
                _give(part, key, [t - g for t, g in zip(total[start:end], given[start:end])])
                given[start:end] = total[start:end]

    def _retire_ended(self) -> None:
        """Add the tables of threads that have ended (they write no more) into `_ended`, and let them go (under
        the lock)."""
        running = []
        for thread, table in self._tables:
            if thread.is_alive():
                running.append((thread, table))
                continue
            for key, row in table.items():
                ended = self._ended.get(key)
                if ended is None:
                    self._ended[key] = list(row)
                else:
                    for i, x in enumerate(row):
                        ended[i] += x
        self._tables = running

    def _forked(self) -> None:
        self._lock = threading.Lock()
        self._tables, self._ended, self._given = [], {}, {}  # the parent's observations are the parent's to hand over
        self._local.__dict__.pop("table", None)  # the forking thread's (the only one left); the same local object


def _after_fork(made: weakref.ref) -> Callable[[], None]:
    """A forked child's hook for rows or tallies, as long as they exist."""
    def forked() -> None:
        found = made()
        if found is not None:
            found._forked()  # noqa: SLF001 - its own module
    return forked


def _give(part: Part, key: tuple, delta: list) -> None:
    """Add a row's new observations to a counter's, a gauge's or a histogram's child (prometheus-client's own values;
    a child is made only once something reaches it)."""
    if part.bounds is None:
        if delta[0]:
            part.child(key).inc(delta[0])
        return
    if any(delta[1:]):
        child = part.child(key)
        child._sum.inc(delta[0])  # noqa: SLF001 - a histogram has no public "observed n times, summing s"
        for bucket, count in zip(child._buckets, delta[1:]):  # noqa: SLF001 - prometheus-client 0.26.0 (pinned)
            if count:
                bucket.inc(count)


def bucket(bounds: Sequence[float], value: float) -> int:
    """The bucket a value falls in (prometheus-client's rule: the first upper bound >= value)."""
    return bisect_left(bounds, value)


class Tallies:
    """A process's tallied observations, collected together: `collect()` runs before every scrape of the process's
    registry (a collector registered before the metrics it feeds: a registry collects in registration order) and
    before the multiprocess flusher writes its values. A scrape restricted by name (`/metrics?name[]=...`) does not
    run it: such a scrape sees the values as of the last full scrape or flush."""

    def __init__(self):
        self._rows: list[Rows] = []
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=_after_fork(weakref.ref(self)))

    def rows(self) -> Rows:
        """A new kind of observation's rows."""
        made = Rows()
        with self._lock:
            self._rows.append(made)
        return made

    def observer(self, histogram) -> Callable[[float], None]:
        """`observe(value)` of an unlabelled histogram, tallied in this thread's row."""
        rows = self.rows()
        at, bounds = rows.histogram(histogram, lambda key: ())
        row_of, local = rows.row, rows.local

        def observe(value: float) -> None:
            try:
                row = local.table[()]
            except (AttributeError, KeyError):
                row = row_of(())
            row[at] += value
            row[at + 1 + bisect_left(bounds, value)] += 1
        return observe

    def collect(self) -> list:
        """Hand every kind's new observations to the metrics; no samples of its own (a registry collector)."""
        with self._lock:
            for rows in self._rows:
                rows.collect()
        return []

    def _forked(self) -> None:
        self._lock = threading.Lock()  # a collection under way in the parent (its flusher) held it across the fork

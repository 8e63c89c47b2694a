"""Rebuilding the projection: replay the invoice log from offset 0 into a fresh store, then swap it in."""
from __future__ import annotations

import gc
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ventanilla.adapters.blob_store import fsync_path
from ventanilla.adapters.log_pipe import read_to_end_in_child
from ventanilla.adapters.log_reader import read_to_end
from ventanilla.adapters.projection_store import ProjectionStore
from ventanilla.adapters.projector import replay as replay_records

SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class RebuildReport:
    """How many events were replayed and how long it took."""

    events: int
    seconds: float

    @property
    def events_per_s(self) -> float:
        """Replay speed."""
        return self.events / self.seconds if self.seconds else 0.0


def _remove(path: Path) -> None:
    for suffix in ("",) + SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def fresh_store(path: Path) -> ProjectionStore:
    """An empty store at path for a bulk fill: no journal, no sync per commit, its key index made by `seal` (see
    `replay`)."""
    _remove(path)
    return ProjectionStore(path, bulk=True)


@contextmanager
def without_cycle_collection():
    """The cyclic garbage collector off (and back on after, if it was on): a replay allocates rows, tuples and
    messages by the million and frees them by reference counting, so the collector's passes over them are pure
    cost (~13 % of the replay's CPU; docs/benchmarks.md, i15-rebuild3). A reader process forked meanwhile inherits
    it; the cycles either process makes (a few per Kafka request) wait for the next collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def replay(bootstrap_servers: str, topic: str, path: Path, batch_records: int = 5000, *,
           reader_process: bool) -> RebuildReport:
    """Fold the whole log into a new store at path (one transaction per fetched batch, positions included);
    reader_process: Kafka's fetch and record parsing in a second process (`log_pipe`), overlapping the replay (what
    `projections rebuild` does unless --one-process, and what docs/benchmarks.md's rebuild rows measure,
    i15-replay2), else both in this process. No default: each caller says which.

    The file is filled without a journal or a sync per commit, sealed (its key index built and its schema version
    written) and synced once at the end: a crash or an error before that leaves a file that `rebuild` or the next
    replay removes, that nothing reads before `swap_in`, and that a store opening it would drop (no version).
    """
    store = fresh_store(path)
    started, count = time.monotonic(), 0
    try:
        with without_cycle_collection():
            if reader_process:
                for piece in read_to_end_in_child(bootstrap_servers, topic, batch_records):
                    count += store.replay_run(*piece)
            else:
                for records in read_to_end(bootstrap_servers, topic, batch_records):
                    count += replay_records(store, records)
        store.seal()
    finally:
        store.close()
    fsync_path(path)
    return RebuildReport(count, time.monotonic() - started)


def swap_in(fresh: Path, target: Path) -> None:
    """Replace the store at target by the closed store at fresh (no process may hold target open)."""
    for suffix in SIDE_FILES:  # a stale WAL of the old store must never be replayed into the new one
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(fresh, target)
    fsync_path(target.parent)


def rebuild(bootstrap_servers: str, topic: str, target: Path, batch_records: int = 5000, *,
            reader_process: bool) -> RebuildReport:
    """Replay into target's sibling '.rebuild' file, then swap it in (reader_process: as `replay`'s)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(target.name + ".rebuild")
    try:
        report = replay(bootstrap_servers, topic, fresh, batch_records, reader_process=reader_process)
    except BaseException:
        _remove(fresh)
        raise
    swap_in(fresh, target)
    return report

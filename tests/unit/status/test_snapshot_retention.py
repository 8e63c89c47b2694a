"""Keeping the newest N snapshots: the history of stored snapshots, pruning their blobs, the CLI's --keep."""
from __future__ import annotations

import argparse
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone

import pytest

from ventanilla.adapters.blob_store import DirectoryBlobStore
from ventanilla.adapters.projection_snapshot import POINTER, latest, prune, stored, take
from ventanilla.adapters.projection_store import ProjectionStore
from ventanilla.cli_projections import snapshot
from ventanilla.config import Settings

TOPIC = "invoice-events"
START = datetime(2026, 12, 1, tzinfo=timezone.utc)


def _projection(path, events: int):
    ProjectionStore(path).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("INSERT OR REPLACE INTO positions VALUES (?, 0, ?)", (TOPIC, events))
        db.commit()
    return path


def _snapshots(tmp_path, blobs, count: int):
    live = tmp_path / "live.sqlite3"
    return [take(_projection(live, 10 * (i + 1)), TOPIC, blobs, START + timedelta(hours=i)) for i in range(count)]


def test_each_snapshot_is_recorded_newest_first(tmp_path):
    blobs = DirectoryBlobStore(tmp_path / "blobs")
    assert stored(blobs) == []
    taken = _snapshots(tmp_path, blobs, 3)
    assert stored(blobs) == taken[::-1] and latest(blobs) == taken[-1]


def test_pruning_deletes_all_but_the_newest_blobs_and_the_latest_still_restores(tmp_path):
    blobs = DirectoryBlobStore(tmp_path / "blobs")
    taken = _snapshots(tmp_path, blobs, 5)
    pruned = prune(blobs, 2)
    assert pruned.kept == taken[:2:-1] == stored(blobs) and pruned.locked == []
    assert pruned.deleted == [p.sha256 for p in taken[2::-1]]
    for pointer in taken[:3]:
        with pytest.raises(KeyError):
            blobs.get(pointer.sha256)
    assert all(blobs.get(p.sha256) for p in taken[3:])
    assert latest(blobs) == taken[-1]
    assert prune(blobs, 2).deleted == []  # nothing more to do


def test_an_unchanged_projection_is_one_snapshot_and_never_deleted(tmp_path):
    blobs = DirectoryBlobStore(tmp_path / "blobs")
    live = _projection(tmp_path / "live.sqlite3", 10)
    old = take(live, TOPIC, blobs, START)
    same = take(live, TOPIC, blobs, START + timedelta(hours=1))  # nothing changed in between: the same bytes
    assert old.sha256 == same.sha256 and stored(blobs) == [same]  # listed once, as taken last
    assert prune(blobs, 1).deleted == []
    assert blobs.get(same.sha256)


def test_a_blob_under_lock_stays_in_the_history_until_it_can_be_deleted(tmp_path):
    class Locked(DirectoryBlobStore):
        locked = True

        def delete(self, sha256):
            if self.locked:
                raise PermissionError(f"blob {sha256} is under object lock")
            super().delete(sha256)

    blobs = Locked(tmp_path / "blobs")
    taken = _snapshots(tmp_path, blobs, 3)
    first = prune(blobs, 1)
    assert (first.deleted, first.locked) == ([], [taken[1].sha256, taken[0].sha256])
    assert stored(blobs) == taken[::-1]
    blobs.locked = False
    assert prune(blobs, 1).deleted == [taken[1].sha256, taken[0].sha256]
    assert stored(blobs) == [taken[2]]


def test_a_pointer_without_history_counts_as_the_one_stored_snapshot(tmp_path):
    blobs = DirectoryBlobStore(tmp_path / "blobs")
    before = take(_projection(tmp_path / "live.sqlite3", 10), TOPIC, blobs, START)
    (tmp_path / "blobs" / "named" / "status-projection-snapshots.json").unlink()  # taken by an older version
    assert blobs.get_named(POINTER) and stored(blobs) == [before]
    after = take(_projection(tmp_path / "live.sqlite3", 20), TOPIC, blobs, START + timedelta(hours=1))
    assert prune(blobs, 1).deleted == [before.sha256] and stored(blobs) == [after]


def test_keep_must_name_at_least_the_latest(tmp_path):
    with pytest.raises(ValueError):
        prune(DirectoryBlobStore(tmp_path / "blobs"), 0)


def test_the_cli_prunes_with_keep_and_refuses_a_negative_count(tmp_path, capsys):
    settings = Settings.from_env({"VENTANILLA_STATE_DIR": str(tmp_path / "state"),
                                  "VENTANILLA_BLOB_DIR": str(tmp_path / "blobs"),
                                  "VENTANILLA_INVOICE_EVENTS_TOPIC": TOPIC})
    assert snapshot(settings, argparse.Namespace(keep=-1)) == 2
    live = settings.path("status", "projection.sqlite3")
    live.parent.mkdir(parents=True)
    for events in (10, 20, 30):
        _projection(live, events)
        assert snapshot(settings, argparse.Namespace(keep=2)) == 0
    out = capsys.readouterr().out
    assert "at 30 events" in out and out.count("kept the newest") == 3 and "deleted 1 older" in out
    blobs = DirectoryBlobStore(tmp_path / "blobs")
    assert [sum(p.offsets.values()) for p in stored(blobs)] == [30, 20]
    assert len(list((tmp_path / "blobs").glob("??/*"))) == 2

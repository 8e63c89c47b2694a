"""A new replica's seed: the latest snapshot restored, or refused (schema, topic, ahead of the log) for a full replay."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace

import pytest

from ventanilla.adapters.blob_store import DirectoryBlobStore
from ventanilla.adapters.projection_snapshot import POINTER, Pointer, latest, recorded, refusal, take
from ventanilla.adapters.projection_store import SCHEMA_VERSION, ProjectionStore
from ventanilla.config import Settings
from status_service.startup import seed_from_snapshot

TOPIC = "invoice-events"
FROM_ZERO = dict  # the log begins at offset 0 of every partition (nothing removed)


@pytest.fixture
def world(tmp_path):
    settings = Settings.from_env({"VENTANILLA_STATE_DIR": str(tmp_path / "replica"),
                                  "VENTANILLA_INVOICE_EVENTS_TOPIC": TOPIC, "VENTANILLA_STATUS_SNAPSHOT": "latest"})
    live = tmp_path / "live.sqlite3"
    ProjectionStore(live).close()
    with closing(sqlite3.connect(live)) as db:
        db.executemany("INSERT INTO positions VALUES (?, ?, ?)", [(TOPIC, 0, 40), (TOPIC, 1, 60)])
        db.commit()
    return settings, live, DirectoryBlobStore(tmp_path / "blobs")


def test_the_latest_snapshot_is_restored_with_its_positions(world):
    settings, live, blobs = world
    pointer = take(live, TOPIC, blobs)
    assert (pointer.schema_version, pointer.topic, pointer.offsets) == (SCHEMA_VERSION, TOPIC, {0: 40, 1: 60})
    assert latest(blobs) == pointer == Pointer.from_json(pointer.to_json())
    assert seed_from_snapshot(settings, blobs, lambda: {0: 40, 1: 75}, FROM_ZERO) == "restored"
    assert recorded(settings.path("status", "projection.sqlite3"), TOPIC) == (SCHEMA_VERSION, {0: 40, 1: 60})


@pytest.mark.parametrize("end, reason", [({0: 40, 1: 59}, "ahead of the log's end"), ({0: 40}, "ahead of the log's end")])
def test_a_snapshot_ahead_of_the_log_is_refused(world, end, reason):
    settings, live, blobs = world
    take(live, TOPIC, blobs)
    assert reason in seed_from_snapshot(settings, blobs, lambda: end, FROM_ZERO)
    assert not settings.path("status", "projection.sqlite3").exists()


@pytest.mark.parametrize("beginning, end, reason", [
    ({}, {0: 40, 1: 60}, None),  # at the log's end
    ({0: 40, 1: 10}, {0: 90, 1: 75}, None),  # retention removed only events the snapshot holds
    ({0: 41}, {0: 90, 1: 75}, "the log now begins at {0: 41}, past the snapshot's positions {0: 40}"),
    ({2: 5}, {0: 90, 1: 75, 2: 9}, "past the snapshot's positions {2: 0}"),  # a partition it never read
    ({0: 50, 1: 70}, {0: 39, 1: 75}, "ahead of the log's end"),  # recreated topic: the end says it first
])
def test_the_snapshot_must_continue_into_the_log_as_it_is_now(beginning, end, reason):
    found = refusal(SCHEMA_VERSION, TOPIC, {0: 40, 1: 60}, SCHEMA_VERSION, TOPIC, end, beginning)
    assert (found is None) if reason is None else (reason in found), found


def test_a_log_that_begins_past_the_snapshot_is_refused_and_logged(world, caplog):
    settings, live, blobs = world
    pointer = take(live, TOPIC, blobs)
    with caplog.at_level("WARNING", logger="status.startup"):
        outcome = seed_from_snapshot(settings, blobs, lambda: {0: 90, 1: 75}, lambda: {0: 40, 1: 61})
    assert outcome.startswith("refused: the log now begins at {1: 61}")
    assert not settings.path("status", "projection.sqlite3").exists()  # the whole log is replayed instead
    [line] = [r for r in caplog.records if r.getMessage() == "snapshot refused; replaying the whole log"]
    assert (line.sha256, line.snapshot_offsets, line.log_beginning, line.log_end) == \
        (pointer.sha256, {0: 40, 1: 60}, {0: 40, 1: 61}, {0: 90, 1: 75})


def test_a_pointer_that_lies_is_checked_against_the_file_itself(world):
    settings, live, blobs = world
    with closing(sqlite3.connect(live)) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    pointer = take(live, TOPIC, blobs)
    blobs.put_named(POINTER, replace(pointer, schema_version=SCHEMA_VERSION).to_json())
    assert "schema version" in seed_from_snapshot(settings, blobs, lambda: {0: 40, 1: 60}, FROM_ZERO)
    assert not settings.path("status", "projection.sqlite3").exists()
    assert not list(settings.path("status").glob(".tmp-*"))


def test_no_snapshot_off_a_projection_on_disk_or_no_broker_mean_no_restore(world):
    settings, live, blobs = world
    assert seed_from_snapshot(settings, blobs, lambda: {}, FROM_ZERO) == "refused: no snapshot taken yet"
    take(live, TOPIC, blobs)
    assert seed_from_snapshot(replace(settings, status_snapshot="off"), blobs, lambda: {0: 40, 1: 60}, FROM_ZERO) == "not asked"

    def no_broker():
        raise OSError("no broker")
    assert seed_from_snapshot(settings, blobs, no_broker, FROM_ZERO) == "refused: the snapshot could not be read: no broker"
    ProjectionStore(settings.path("status", "projection.sqlite3")).close()
    assert seed_from_snapshot(settings, blobs, lambda: {0: 40, 1: 60}, FROM_ZERO) == "kept the projection on disk"


@pytest.mark.parametrize("name", ["", ".hidden", "../escape", "UPPER", "a/b"])
def test_named_objects_have_plain_names(tmp_path, name):
    with pytest.raises(KeyError):
        DirectoryBlobStore(tmp_path).put_named(name, b"{}")


def test_a_corrupt_snapshot_blob_is_refused(world):
    settings, live, blobs = world
    pointer = take(live, TOPIC, blobs)
    blob = blobs._path(pointer.sha256)
    blob.write_bytes(blob.read_bytes()[:-1] + b"\x01")
    assert "does not match its hash" in seed_from_snapshot(settings, blobs, lambda: {0: 40, 1: 60}, FROM_ZERO)
    assert not settings.path("status", "projection.sqlite3").exists()

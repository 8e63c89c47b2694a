"""A new replica's seed: the latest snapshot restored, or refused (schema, topic, ahead of the log) for a full replay."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace

import pytest

from ventanilla.adapters.blob_store import DirectoryBlobStore
from ventanilla.adapters.projection_snapshot import POINTER, Pointer, latest, recorded, take
from ventanilla.adapters.projection_store import SCHEMA_VERSION, ProjectionStore
from ventanilla.config import Settings
from status_service.startup import seed_from_snapshot

TOPIC = "invoice-events"


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
    assert seed_from_snapshot(settings, blobs, lambda: {0: 40, 1: 75}) == "restored"
    assert recorded(settings.path("status", "projection.sqlite3"), TOPIC) == (SCHEMA_VERSION, {0: 40, 1: 60})


@pytest.mark.parametrize("end, reason", [({0: 40, 1: 59}, "ahead of the log's end"), ({0: 40}, "ahead of the log's end")])
def test_a_snapshot_ahead_of_the_log_is_refused(world, end, reason):
    settings, live, blobs = world
    take(live, TOPIC, blobs)
    assert reason in seed_from_snapshot(settings, blobs, lambda: end)
    assert not settings.path("status", "projection.sqlite3").exists()


def test_a_pointer_that_lies_is_checked_against_the_file_itself(world):
    settings, live, blobs = world
    with closing(sqlite3.connect(live)) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    pointer = take(live, TOPIC, blobs)
    blobs.put_named(POINTER, replace(pointer, schema_version=SCHEMA_VERSION).to_json())
    assert "schema version" in seed_from_snapshot(settings, blobs, lambda: {0: 40, 1: 60})
    assert not settings.path("status", "projection.sqlite3").exists()
    assert not list(settings.path("status").glob(".tmp-*"))


def test_no_snapshot_off_a_projection_on_disk_or_no_broker_mean_no_restore(world):
    settings, live, blobs = world
    assert seed_from_snapshot(settings, blobs, lambda: {}) == "refused: no snapshot taken yet"
    take(live, TOPIC, blobs)
    assert seed_from_snapshot(replace(settings, status_snapshot="off"), blobs, lambda: {0: 40, 1: 60}) == "not asked"

    def no_broker():
        raise OSError("no broker")
    assert seed_from_snapshot(settings, blobs, no_broker) == "refused: the snapshot could not be read: no broker"
    ProjectionStore(settings.path("status", "projection.sqlite3")).close()
    assert seed_from_snapshot(settings, blobs, lambda: {0: 40, 1: 60}) == "kept the projection on disk"


@pytest.mark.parametrize("name", ["", ".hidden", "../escape", "UPPER", "a/b"])
def test_named_objects_have_plain_names(tmp_path, name):
    with pytest.raises(KeyError):
        DirectoryBlobStore(tmp_path).put_named(name, b"{}")


def test_a_corrupt_snapshot_blob_is_refused(world):
    settings, live, blobs = world
    pointer = take(live, TOPIC, blobs)
    blob = blobs._path(pointer.sha256)
    blob.write_bytes(blob.read_bytes()[:-1] + b"\x01")
    assert "does not match its hash" in seed_from_snapshot(settings, blobs, lambda: {0: 40, 1: 60})
    assert not settings.path("status", "projection.sqlite3").exists()

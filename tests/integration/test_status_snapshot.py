"""A new status replica from the latest snapshot plus the log's tail, on a real broker; refused snapshots replay all."""
from __future__ import annotations

import argparse
import sqlite3
import time
from contextlib import closing

import pytest

from ventanilla.adapters.blob_store import open_blob_store
from ventanilla.adapters.catch_up import end_offsets_reader
from ventanilla.adapters.projection_snapshot import consistent_copy, recorded, take
from ventanilla.adapters.projection_store import SCHEMA_VERSION
from ventanilla.adapters.topics import ensure_topics
from ventanilla.cli_projections import snapshot
from status_service.__main__ import build

from tests.support.backlog import produce_events
from tests.support.projection_tables import differences, rows

pytestmark = pytest.mark.integration
PROJECTION = ("status", "projection.sqlite3")


def _serve_until_caught_up(settings) -> None:
    """Start a replica, wait until it is ready and holds the log's end as of now, stop it."""
    service = build(settings)
    service.start()
    try:
        assert service.wait_ready(300), "the replica did not catch up in 300 s"
        ends = end_offsets_reader(settings.kafka.bootstrap_servers, settings.topics.invoice_events, "test-ends")()
        expected = sorted((settings.topics.invoice_events, p, o) for p, o in ends.items() if o)
        deadline = time.monotonic() + 120
        while rows(settings.path(*PROJECTION), "positions") != expected:
            assert time.monotonic() < deadline, "the replica did not reach the log's end"
            time.sleep(0.2)
    finally:
        service.stop()


def test_a_new_replica_restores_the_latest_snapshot_and_replays_only_the_tail(settings_factory, tmp_path, capsys):
    live = settings_factory({"VENTANILLA_BLOB_DIR": str(tmp_path / "blobs")})
    ensure_topics(live)
    bootstrap, topic = live.kafka.bootstrap_servers, live.topics.invoice_events
    produce_events(bootstrap, topic, 4000)
    service = build(live)
    service.start()
    try:
        assert service.wait_ready(300)
        assert snapshot(live, argparse.Namespace(keep=0)) == 0  # while the live replica runs: SQLite's online backup
        assert "at 4,000 events" in capsys.readouterr().out
        produce_events(bootstrap, topic, 2000, first_id=1001)  # the tail
    finally:
        service.stop()
    _serve_until_caught_up(live)

    replica = settings_factory({"VENTANILLA_BLOB_DIR": str(tmp_path / "blobs"), "VENTANILLA_STATE_DIR":
                                str(tmp_path / "replica"), "VENTANILLA_STATUS_SNAPSHOT": "latest"})
    seeded = build(replica)
    try:
        assert seeded.seeded == "restored"
        version, offsets = recorded(replica.path(*PROJECTION), topic)
        assert (version, sum(offsets.values())) == (SCHEMA_VERSION, 4000)  # only the tail is left to replay
    finally:
        seeded.stop()
    _serve_until_caught_up(replica)
    assert differences(live.path(*PROJECTION), replica.path(*PROJECTION)) == []
    assert sum(o for _t, _p, o in rows(replica.path(*PROJECTION), "positions")) == 6000


def _live_replica_of_400_events(settings_factory, tmp_path):
    """The settings of a replica that has folded 400 events of a fresh topic (and stopped)."""
    live = settings_factory({"VENTANILLA_BLOB_DIR": str(tmp_path / "blobs")})
    ensure_topics(live)
    produce_events(live.kafka.bootstrap_servers, live.topics.invoice_events, 400)
    _serve_until_caught_up(live)
    return live


def _refused_then_replayed(settings_factory, tmp_path, live, reason: str):
    """A new replica refuses the latest snapshot for `reason`, starts from offset 0 and catches up with the log as
    it is now before it is ready (invariant 8); its settings."""
    replica = settings_factory({"VENTANILLA_BLOB_DIR": str(tmp_path / "blobs"), "VENTANILLA_STATE_DIR":
                                str(tmp_path / "replica"), "VENTANILLA_STATUS_SNAPSHOT": "latest"})
    refused = build(replica)
    try:
        assert refused.seeded.startswith("refused: ") and reason in refused.seeded, refused.seeded
        assert recorded(replica.path(*PROJECTION), live.topics.invoice_events) == (SCHEMA_VERSION, {})  # from 0
    finally:
        refused.stop()
    _serve_until_caught_up(replica)
    return replica


def _altered(source, target, statement: str) -> None:
    consistent_copy(source, target)  # a plain copy of a WAL database would miss the WAL's pages
    with closing(sqlite3.connect(target)) as db:
        db.execute(statement)
        db.commit()


@pytest.mark.parametrize("case, reason", [
    ("schema", f"schema version {SCHEMA_VERSION - 1}, this replica's is {SCHEMA_VERSION}"),
    ("ahead", "ahead of the log's end"),
    ("topic", "this replica reads"),
])
def test_a_refused_snapshot_falls_back_to_replaying_the_whole_log(settings_factory, tmp_path, case, reason):
    live = _live_replica_of_400_events(settings_factory, tmp_path)
    copy = tmp_path / "copy.sqlite3"
    _altered(live.path(*PROJECTION), copy, {
        "schema": f"PRAGMA user_version={SCHEMA_VERSION - 1}",
        "ahead": "UPDATE positions SET next_offset = next_offset + 1000",
        "topic": "UPDATE positions SET topic = 'another-topic'"}[case])
    take(copy, "another-topic" if case == "topic" else live.topics.invoice_events, open_blob_store(live))

    replica = _refused_then_replayed(settings_factory, tmp_path, live, reason)
    assert differences(live.path(*PROJECTION), replica.path(*PROJECTION)) == []


def _remove_events_after_the_snapshot(settings, snapshot_offsets: dict[int, int]) -> None:
    """Retention (here: deleted records) moves a partition's beginning past the snapshot's position in it."""
    from kafka import TopicPartition

    from ventanilla.adapters import kafka_clients

    topic = settings.topics.invoice_events
    ends = end_offsets_reader(settings.kafka.bootstrap_servers, topic, "test-ends")()
    past = {TopicPartition(topic, p): snapshot_offsets.get(p, 0) + 1 for p, end in ends.items()
            if end > snapshot_offsets.get(p, 0)}
    assert past, "the tail reached no partition"
    admin = kafka_clients.admin(settings.kafka.bootstrap_servers, client_id="test-retention")
    try:
        admin.delete_records(past, timeout_ms=30000)
    finally:
        admin.close()


def _recreate_the_topic_with_fewer_events(settings) -> None:
    """The topic deleted and created again (a reset): its offsets start over, below the snapshot's."""
    from ventanilla.adapters import kafka_clients

    topic = settings.topics.invoice_events
    admin = kafka_clients.admin(settings.kafka.bootstrap_servers, client_id="test-reset")
    try:
        admin.delete_topics([topic], timeout_ms=30000)
        deadline = time.monotonic() + 30
        while topic in admin.list_topics():
            assert time.monotonic() < deadline, "the topic was not deleted in 30 s"
            time.sleep(0.2)
    finally:
        admin.close()
    ensure_topics(settings)
    produce_events(settings.kafka.bootstrap_servers, topic, 40, first_id=5001)


@pytest.mark.parametrize("change, reason", [
    ("retention", "the log now begins at"),
    ("recreated", "ahead of the log's end"),
])
def test_a_snapshot_the_log_no_longer_continues_is_refused_for_a_full_replay(settings_factory, tmp_path, change, reason):
    live = _live_replica_of_400_events(settings_factory, tmp_path)
    pointer = take(live.path(*PROJECTION), live.topics.invoice_events, open_blob_store(live))
    if change == "retention":
        produce_events(live.kafka.bootstrap_servers, live.topics.invoice_events, 200, first_id=1001)
        _remove_events_after_the_snapshot(live, pointer.offsets)
    else:
        _recreate_the_topic_with_fewer_events(live)

    _refused_then_replayed(settings_factory, tmp_path, live, reason)

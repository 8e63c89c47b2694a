"""A group loop whose finished join the Kafka client dropped joins again instead of spinning (real broker)."""
from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.coordinator.base import MemberState

from status_service.group_loop import GroupLoop

pytestmark = pytest.mark.integration


class _Nothing:
    """A handler for a topic nobody writes to."""

    def begin(self) -> None: ...
    def handle(self, value: bytes) -> None: ...
    def end(self) -> None: ...


def _cpu_s(thread: threading.Thread) -> float:
    """CPU seconds (user + system) a thread of this process has used."""
    fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _until(condition, timeout_s: float = 60) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_dropped_join_is_asked_again_instead_of_spinning(kafka_settings):
    """kafka-python 3.0.12 can leave a member REBALANCING with its heartbeat off after a join finished behind a timed-out
    poll (seen under load at start-up); its polls then never wait and burn a core. The loop must join again."""
    topic, bootstrap = f"quiet-{uuid.uuid4().hex[:6]}", kafka_settings.kafka.bootstrap_servers
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    admin.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=f"quiet-{uuid.uuid4().hex[:6]}",
                             enable_auto_commit=False, heartbeat_interval_ms=1000, session_timeout_ms=10000)
    coordinator = consumer._coordinator
    loop = GroupLoop(consumer, topic, _Nothing(), "quiet")
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        assert _until(lambda: coordinator.state is MemberState.STABLE and consumer.assignment()), "never joined"
        with coordinator._lock:  # the state the dropped join leaves: rebalancing, nothing left to rejoin for
            coordinator.state = MemberState.REBALANCING
        assert not coordinator.need_rejoin()
        assert _until(lambda: coordinator.state is MemberState.STABLE, 30), "the loop never joined again"
        time.sleep(2)  # past a heartbeat interval: a member left without heartbeats would spin by now
        before, started = _cpu_s(thread), time.monotonic()
        time.sleep(3)
        per_second = (_cpu_s(thread) - before) / (time.monotonic() - started)
        assert per_second < 0.15, f"the idle group loop used {per_second:.2f} s of CPU per second"
    finally:
        loop.stop()
        thread.join(timeout=30)

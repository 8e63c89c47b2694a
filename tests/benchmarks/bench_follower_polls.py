"""Issue 15: what a follower's poll timeout costs idle and whether a record waits for it.

`python tests/benchmarks/bench_follower_polls.py [--short] [--records N] [--idle-s S]` (in `make bench`; writes
var/bench/follower_polls.json). One local broker; side by side in this process, so that the machine's load falls on
every variant alike, four followers of one 6-partition topic with `kafka_clients.FOLLOWING`: a group member and an
assigned reader, each polling 200 ms (before: the old loops) and `kafka_clients.POLL_MS` (after). Measured: (1) idle,
the CPU per second of each follower's two threads (its poll loop and kafka-python's IO thread, `/proc/self/task`);
(2) a producer appends one record at a time (acks=all, --rate per second) and each follower notes when it sees it:
the delay from the append's acknowledgement, per variant.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kafka import TopicPartition  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402

from tests.benchmarks.bench_registry import machine  # noqa: E402
from tests.support.stack_env import free_ports  # noqa: E402
from ventanilla.adapters import kafka_clients  # noqa: E402
from ventanilla.adapters.kafka_broker import LocalKafkaBroker  # noqa: E402

TOPIC, PARTITIONS = "followed", 6


def thread_cpu_s(native_ids: list[int]) -> float:
    """CPU seconds (user + system) of some threads of this process."""
    total = 0
    for tid in native_ids:
        fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Follower(threading.Thread):
    """One consumer polling `poll_ms` until stopped, noting when it saw each record."""

    def __init__(self, bootstrap: str, poll_ms: int, group: bool):
        self.name_ = f"{'group' if group else 'assigned'}_{poll_ms}ms"
        super().__init__(name=self.name_, daemon=True)
        self.poll_ms, self.seen, self.stopping, self.ready = poll_ms, {}, threading.Event(), threading.Event()
        self.consumer = kafka_clients.consumer(
            bootstrap, client_id=self.name_, group_id=self.name_ if group else None, enable_auto_commit=False,
            auto_offset_reset="latest", session_timeout_ms=10_000, heartbeat_interval_ms=3000, **kafka_clients.FOLLOWING)
        if group:
            self.consumer.subscribe([TOPIC])
        else:
            self.consumer.assign([TopicPartition(TOPIC, p) for p in range(PARTITIONS)])

    def run(self) -> None:
        while not self.stopping.is_set():
            for records in self.consumer.poll(timeout_ms=self.poll_ms).values():
                for record in records:
                    self.seen[record.value] = time.perf_counter()
            if self.consumer.assignment():
                self.ready.set()
        self.consumer.close(autocommit=False, timeout_ms=2000)

    def threads(self) -> list[int]:
        """Native ids of its poll loop and of its client's IO thread."""
        io = [t.native_id for t in threading.enumerate() if t.name == f"kafka-io-{self.name_}"]
        return [self.native_id, *io]


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    at = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)  # noqa: E731
    return {"n": len(ordered), "p50_ms": at(0.5), "p90_ms": at(0.9), "p99_ms": at(0.99), "max_ms": round(ordered[-1], 2)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true", help="100 records, 10 s idle")
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--idle-s", type=float, default=30.0)
    args = parser.parse_args()
    records, idle_s = (100, 10.0) if args.short else (args.records, args.idle_s)
    report = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": " ".join(["bench_follower_polls.py", *sys.argv[1:]]), "poll_ms_after": kafka_clients.POLL_MS,
              "load_average_start": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory() as tmp:
        broker = LocalKafkaBroker(Path(tmp) / "kafka", *free_ports(2)).start()
        try:
            kafka_clients.admin(broker.bootstrap_servers).create_topics([NewTopic(TOPIC, PARTITIONS, 1)])
            followers = [Follower(broker.bootstrap_servers, poll, group)
                         for group in (True, False) for poll in (200, kafka_clients.POLL_MS)]
            for follower in followers:
                follower.start()
            for follower in followers:
                if not follower.ready.wait(60):
                    raise RuntimeError(f"{follower.name_} got no partitions within 60 s")
            time.sleep(3)  # first fetches sent, group joins settled
            before = {f.name_: thread_cpu_s(f.threads()) for f in followers}
            time.sleep(idle_s)
            report["idle_cpu_ms_per_s"] = {f.name_: round((thread_cpu_s(f.threads()) - before[f.name_]) * 1000 / idle_s, 2)
                                           for f in followers}
            producer, acked = kafka_clients.producer(broker.bootstrap_servers, acks="all"), {}
            for n in range(records):
                value = str(n).encode()
                producer.send(TOPIC, key=value, value=value).get(10)
                acked[value] = time.perf_counter()
                time.sleep(1 / args.rate)
            producer.close()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(len(f.seen) < records for f in followers):
                time.sleep(0.1)
            for follower in followers:
                follower.stopping.set()
            for follower in followers:
                follower.join(10)
            report["delivery_after_ack"] = {f.name_: percentiles([(f.seen[v] - t) * 1000 for v, t in acked.items()
                                                                   if v in f.seen]) for f in followers}
        finally:
            broker.stop()
    report["load_average_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(report, indent=2))
    out = ROOT / "var" / "bench" / "follower_polls.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

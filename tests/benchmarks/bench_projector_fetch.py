"""Issue 15: kafka-python's CPU per fetched event in a follower like the status projector, per consumer option.

`python tests/benchmarks/bench_projector_fetch.py [--short] [--events N] [--rounds R] [--rate R]` (in `make bench`;
writes var/bench/projector_fetch.json). One local broker; per round and mode a fresh 6-partition topic and, side by
side in this process (so that the machine's load falls on every variant alike; start order rotated per round), one
reader per variant, built as the status projector's consumer (`kafka_clients.consumer`, no group, `FOLLOWING`,
max_poll_records 5000, `POLL_MS` polls) with the variant's options on top. Mode "fetch": bare readers (kafka-python's
share alone); mode "projector": the status service's `Projector` itself over a fresh `ProjectionStore` (decode,
domain fold, one SQLite transaction per batch). A producer appends N encoded invoice events one at a time at R per
second (one event per fetch, as the write path at 20-30 invoices/s); measured per variant, the CPU of its two threads
(its poll loop and kafka-python's IO thread, nanoseconds from `/proc/self/task/*/schedstat`) per event.
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

from tests.benchmarks.bench_projection_apply import records as invoice_events  # noqa: E402
from tests.benchmarks.bench_registry import machine  # noqa: E402
from tests.support.backlog import STEPS  # noqa: E402
from tests.support.stack_env import free_ports  # noqa: E402
from ventanilla.adapters import kafka_clients  # noqa: E402
from ventanilla.adapters.catch_up import CatchUp  # noqa: E402
from ventanilla.adapters.event_codec import decode_facts  # noqa: E402
from ventanilla.adapters.kafka_broker import LocalKafkaBroker  # noqa: E402
from ventanilla.adapters.projection_store import ProjectionStore  # noqa: E402
from ventanilla.adapters.projector import Projector  # noqa: E402
from ventanilla.observability.consume import ProjectionWatch  # noqa: E402

PARTITIONS = 6
PER_INVOICE = 1 + len(STEPS)  # invoice_events: each invoice's registration, then its steps
MODES = ("fetch", "projector")  # bare readers (kafka-python's share alone); the status projector itself

# variant name -> kafka-python options on top of the projector's (explicit, whatever kafka_clients sets by default)
VARIANTS = {
    "sensors on (kafka-python's default)": {"metrics_enabled": True},
    "sensors off": {"metrics_enabled": False},
    "sensors off, check_crcs off": {"metrics_enabled": False, "check_crcs": False},
}


def thread_cpu_ns(native_ids: list[int]) -> int:
    """CPU nanoseconds of some threads of this process (the scheduler's run time)."""
    return sum(int(Path(f"/proc/self/task/{tid}/schedstat").read_text().split()[0]) for tid in native_ids)


class Reader(threading.Thread):
    """One projector-shaped consumer polling until stopped, counting the events it saw."""

    def __init__(self, bootstrap: str, topic: str, name: str, options: dict):
        self.label, self.topic = name, topic
        self.client_id = f"reader-{abs(hash((topic, name)))}"
        super().__init__(name=self.client_id, daemon=True)
        self.seen, self.stopping, self.ready = 0, threading.Event(), threading.Event()
        self.consumer = kafka_clients.consumer(
            bootstrap, client_id=self.client_id, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
            max_poll_records=5000, reconnect_backoff_max_ms=1000, **{**kafka_clients.FOLLOWING, **options})

    def run(self) -> None:
        self.consumer.assign([TopicPartition(self.topic, p) for p in range(PARTITIONS)])
        while not self.stopping.is_set():
            for records in self.consumer.poll(timeout_ms=kafka_clients.POLL_MS).values():
                self.seen += len(records)
            self.ready.set()
        self.consumer.close(autocommit=False, timeout_ms=2000)

    def threads(self) -> list[int]:
        """Native ids of its poll loop and of its client's IO thread."""
        io = [t.native_id for t in threading.enumerate() if t.name == f"kafka-io-{self.client_id}"]
        return [self.native_id, *io]


class CountingStore(ProjectionStore):
    """The status projection's store, counting the events applied."""
    seen = 0

    def apply_many(self, records) -> int:
        self.seen += len(records)
        return super().apply_many(records)


class ProjectorReader(Reader):
    """The status service's projector itself (`Projector`: decode, domain fold, one SQLite transaction per batch,
    `CatchUp` advanced) over a fresh store, no metrics nor tracer."""

    def __init__(self, bootstrap: str, topic: str, name: str, options: dict, directory: Path):
        super().__init__(bootstrap, topic, name, options)
        self.store = CountingStore(directory / f"{self.client_id}.sqlite3")
        self.projector = Projector(self.consumer, self.store, topic, CatchUp(dict, {}, 5.0), decode_facts,
                                   ProjectionWatch("status"))

    @property
    def seen(self) -> int:
        return self.store.seen

    @seen.setter
    def seen(self, value: int) -> None:
        pass

    def run(self) -> None:
        threading.Thread(target=self._ready_when_assigned, daemon=True).start()
        self.projector.run()
        self.consumer.close(autocommit=False, timeout_ms=2000)

    def _ready_when_assigned(self) -> None:
        while not self.consumer.assignment() and not self.stopping.wait(0.1):
            pass
        self.ready.set()
        self.stopping.wait()
        self.projector.stop()


def one_round(bootstrap: str, producer, order: list[str], values: list[bytes], rate: float, topic: str,
              directory: Path | None) -> dict:
    """Start the variants' readers of `topic` in `order`, append `values` paced at `rate`/s; CPU µs per event per
    variant. With a directory, each reader is the status projector over a store there."""
    readers = [ProjectorReader(bootstrap, topic, name, VARIANTS[name], directory) if directory
               else Reader(bootstrap, topic, name, VARIANTS[name]) for name in order]
    events = len(values)
    for reader in readers:
        reader.start()
    for reader in readers:
        if not reader.ready.wait(60):
            raise RuntimeError(f"{reader.label} did not poll within 60 s")
    time.sleep(2)  # first fetches in flight
    before = {r.label: thread_cpu_ns(r.threads()) for r in readers}
    start = time.perf_counter()
    for n, value in enumerate(values):
        producer.send(topic, key=str(n // PER_INVOICE).encode(), value=value).get(10)  # an invoice's in order
        time.sleep(max(0.0, start + (n + 1) / rate - time.perf_counter()))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(r.seen < events for r in readers):
        time.sleep(0.05)
    spent = {r.label: thread_cpu_ns(r.threads()) - before[r.label] for r in readers}
    for reader in readers:
        reader.stopping.set()
    for reader in readers:
        reader.join(10)
    return {r.label: {"events": r.seen, "cpu_us_per_event": round(spent[r.label] / 1000 / max(1, r.seen), 1)}
            for r in readers}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true", help="2 rounds of ~150 events (whole invoices: a multiple of 4)")
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=30.0)
    args = parser.parse_args()
    events, rounds = (150, 2) if args.short else (args.events, args.rounds)
    report = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": " ".join(["bench_projector_fetch.py", *sys.argv[1:]]), "rate_per_s": args.rate,
              "load_average_start": round(os.getloadavg()[0], 1), "rounds": []}
    names, values = list(VARIANTS), [r.value for r in invoice_events(events)]
    with tempfile.TemporaryDirectory() as tmp:
        broker = LocalKafkaBroker(Path(tmp) / "kafka", *free_ports(2)).start()
        try:
            admin = kafka_clients.admin(broker.bootstrap_servers)
            producer = kafka_clients.producer(broker.bootstrap_servers, acks="all", metrics_enabled=False)
            for n in range(rounds):
                for mode in MODES:
                    topic, order = f"{mode}-{n}", names[n % len(names):] + names[:n % len(names)]
                    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
                    directory = Path(tmp) / topic if mode == "projector" else None
                    if directory:
                        directory.mkdir()
                    load = round(os.getloadavg()[0], 1)
                    result = one_round(broker.bootstrap_servers, producer, order, values, args.rate, topic, directory)
                    report["rounds"].append({"round": n + 1, "mode": mode, "variants": result,
                                             "load_average": [load, round(os.getloadavg()[0], 1)]})
                    print(json.dumps(report["rounds"][-1]), flush=True)
            producer.close()
            admin.close()
        finally:
            broker.stop()
    baseline = names[0]
    report["goal_rows"] = {
        f"{mode}: {name}": {
            "cpu_us_per_event_by_round": [r["variants"][name]["cpu_us_per_event"] for r in report["rounds"]
                                          if r["mode"] == mode],
            "ratio_to_sensors_on_by_round": [round(r["variants"][name]["cpu_us_per_event"]
                                                   / r["variants"][baseline]["cpu_us_per_event"], 3)
                                             for r in report["rounds"] if r["mode"] == mode]}
        for mode in MODES for name in names}
    report["load_average_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(report["goal_rows"], indent=2))
    out = ROOT / "var" / "bench" / "projector_fetch.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

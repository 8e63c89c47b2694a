"""What idle consumers cost the garbage collector: kafka-python as shipped against our consumers (kafka_timeouts).

`.venv/bin/python tests/benchmarks/bench_idle_polls.py [--rounds R] [--seconds S] [--consumers N] [--short]` (in
`make bench`; `--short`: 2 rounds of 8 s). One local broker on free ports; per round, in alternating order, one
process per variant with N (4: the status service's projector and group loops) consumers configured as FOLLOWING,
each polling an empty topic every 200 ms for S s (20): `base` builds them with KafkaConsumer, `fix` with
kafka_clients.consumer. Per variant: polls, collections per generation and objects they freed, full collections per
minute, live kafka-python tracebacks (largest of the once-a-second counts), CPU ms per poll. JSON in
var/bench/idle_polls.json."""
from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "idle_polls.json"


def child(variant: str, bootstrap: str, topic: str, seconds: float, consumers: int) -> dict:
    """One variant's process: N idle consumers for `seconds`; what the collector did meanwhile."""
    from kafka import KafkaConsumer, TopicPartition

    from tests.support.heap import kafka_tracebacks
    from ventanilla.adapters import kafka_clients

    options = dict(group_id=None, enable_auto_commit=False, auto_offset_reset="latest", **kafka_clients.FOLLOWING)
    build = (lambda: KafkaConsumer(bootstrap_servers=bootstrap, **options)) if variant == "base" else \
        (lambda: kafka_clients.consumer(bootstrap, **options))
    built = [build() for _ in range(consumers)]
    for consumer in built:
        consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
        consumer.poll(timeout_ms=200)
    gc.collect()
    collections, freed, polls = [0, 0, 0], [0, 0, 0], [0]
    full_cpu_ms: list[float] = []
    begun: dict = {}

    def on_gc(phase, info):
        if phase == "start":
            begun["cpu"] = time.thread_time()
            return
        collections[info["generation"]] += 1
        freed[info["generation"]] += info["collected"]
        if info["generation"] == 2:
            full_cpu_ms.append((time.thread_time() - begun["cpu"]) * 1000)

    stop = threading.Event()

    def loop(consumer):
        while not stop.is_set():
            consumer.poll(timeout_ms=200)
            polls[0] += 1

    gc.callbacks.append(on_gc)
    cpu, started = time.process_time(), time.monotonic()
    threads = [threading.Thread(target=loop, args=(c,)) for c in built]
    for thread in threads:
        thread.start()
    peak = 0
    while time.monotonic() - started < seconds:
        time.sleep(1.0)
        peak = max(peak, kafka_tracebacks())
    stop.set()
    for thread in threads:
        thread.join()
    cpu, elapsed = time.process_time() - cpu, time.monotonic() - started
    gc.callbacks.remove(on_gc)
    for consumer in built:
        consumer.close()
    return {"variant": variant, "polls": polls[0], "collections": collections, "freed": freed,
            "full_per_min": round(collections[2] * 60 / elapsed, 2), "full_cpu_ms": [round(x, 1) for x in full_cpu_ms],
            "peak_kafka_tracebacks": peak, "cpu_ms_per_poll": round(cpu * 1000 / max(1, polls[0]), 3)}


def main(argv: list[str]) -> int:
    """Start a broker; run the variants in alternating order; print and write the JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--consumers", type=int, default=4)
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "BOOTSTRAP", "TOPIC"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.child:
        print(json.dumps(child(*args.child, args.seconds, args.consumers)))
        return 0
    if args.short:
        args.rounds, args.seconds = 2, 8.0
    from kafka.admin import NewTopic

    from tests.benchmarks.bench_soap_edge import machine, publish
    from ventanilla.adapters import kafka_clients
    from ventanilla.adapters.kafka_broker import LocalKafkaBroker
    from tests.support.ports import free_ports

    results = {"command": " ".join(["bench_idle_polls.py", *argv]), "machine": machine(), "rounds": []}
    with tempfile.TemporaryDirectory() as state:
        broker = LocalKafkaBroker(Path(state), *free_ports(2)).start()
        try:
            admin = kafka_clients.admin(broker.bootstrap_servers)
            admin.create_topics([NewTopic("idle-polls", 3, 1)])
            admin.close()
            for round_ in range(args.rounds):
                order = ("base", "fix") if round_ % 2 == 0 else ("fix", "base")
                for variant in order:
                    out = subprocess.run([sys.executable, __file__, "--child", variant, broker.bootstrap_servers,
                                          "idle-polls", "--seconds", str(args.seconds), "--consumers",
                                          str(args.consumers)], capture_output=True, text=True, check=True, cwd=ROOT)
                    results["rounds"].append(json.loads(out.stdout.strip().splitlines()[-1]))
        finally:
            broker.stop()
    for variant in ("base", "fix"):
        runs = [r for r in results["rounds"] if r["variant"] == variant]
        results[variant] = {key: round(sum(r[key] for r in runs) / len(runs), 3)
                            for key in ("full_per_min", "peak_kafka_tracebacks", "cpu_ms_per_poll")}
        results[variant]["freed_per_poll"] = [round(sum(r["freed"][g] for r in runs) / sum(r["polls"] for r in runs), 1)
                                              for g in range(3)]
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

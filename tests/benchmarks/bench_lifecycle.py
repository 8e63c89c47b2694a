"""Lifecycle and projections (issue 5): projection lag, a 500-id group query, rebuild speed vs raw Kafka reads.

    python tests/benchmarks/bench_lifecycle.py [--events 1000000] [--invoices 500] [--rate 25] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.e2e import lifecycle as lc  # noqa: E402
from tests.e2e.own_stack import own_stack  # noqa: E402
from tests.support.backlog import produce_events  # noqa: E402


def machine() -> dict:
    """nproc, CPU model and RAM."""
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    ram = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")))
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(ram / 1024 ** 2, 1),
            "python": platform.python_version(), "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3]}


def percentiles(samples: list[float]) -> dict:
    """p50, p99 and max in milliseconds."""
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"n": len(ordered), "p50_ms": round(pick(0.50), 1), "p99_ms": round(pick(0.99), 1),
            "max_ms": round(ordered[-1] * 1000, 1), "mean_ms": round(statistics.mean(ordered) * 1000, 1)}


@contextmanager
def broker(workdir: Path):
    """$KAFKA_BOOTSTRAP_SERVERS, or a local broker on free ports."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    from tests.support.stack_env import free_ports
    from ventanilla.adapters.kafka_broker import LocalKafkaBroker

    port, controller = free_ports(2)
    local = LocalKafkaBroker(workdir / "kafka", port, controller, heap="1g").start()
    try:
        yield local.bootstrap_servers
    finally:
        local.stop()


def lag(stack, invoices: list[int], rate: float) -> dict:
    """Updates produced at a steady rate; each timed from send to visible through SOAP consultarEstadoFactura."""
    producer, topic = lc.producer(stack.settings), stack.settings.topics.backoffice_updates
    samples: list[float] = []

    def visible(invoice_id: int, state: str, sent_at: float) -> None:
        while lc.estado(stack.settings, invoice_id)[0] != state:
            time.sleep(0.005)
        samples.append(time.perf_counter() - sent_at)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for n, (state, invoice_id) in enumerate((s, i) for s in lc_path() for i in invoices):
            time.sleep(max(0.0, started + n / rate - time.perf_counter()))
            _, value = lc.state_update(invoice_id, state)
            sent_at = time.perf_counter()
            producer.send(topic, key=str(invoice_id).encode(), value=value)
            producer.flush()
            pool.submit(visible, invoice_id, state, sent_at)
    producer.close()
    return {"rate_per_s": rate, "updates": len(samples), **percentiles(samples)}


def lc_path() -> tuple[str, ...]:
    """The back-office path every benchmark invoice walks."""
    return ("REGISTRADA_RCF", "CONTABILIZADA", "PAGADA")


def group(stack, ids: list[int], repeats: int = 30) -> dict:
    """consultarGrupoEstadosFactura with 500 ids, one request at a time."""
    body = "".join(f"<facturaId>{i}</facturaId>" for i in ids[:500])
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer = lc.call(stack.settings, "consultarGrupoEstadosFactura", body)
        samples.append(time.perf_counter() - started)
    assert len(answer[0]) == len(ids[:500]), "not every item answered"
    return {"ids": len(ids[:500]), **percentiles(samples)}


def raw_read(bootstrap: str, topic: str) -> dict:
    """kafka-python reading the whole topic, doing nothing with the records."""
    from ventanilla.adapters.log_reader import read_to_end

    started, cpu, count = time.perf_counter(), time.process_time(), 0
    for records in read_to_end(bootstrap, topic):
        count += len(records)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"events": count, "seconds": round(seconds, 1), "events_per_s": round(count / seconds),
            "cpu_us_per_event": round(cpu / count * 1e6, 1)}


def per_event_transactions(bootstrap: str, topic: str, path: Path, limit: int) -> dict:
    """The old way for comparison: one SQLite transaction per event, on the first `limit` events."""
    from ventanilla.adapters.event_codec import decode
    from ventanilla.adapters.log_reader import read_to_end
    from ventanilla.adapters.projection_store import ProjectionStore

    store, count, started = ProjectionStore(path), 0, time.perf_counter()
    for records in read_to_end(bootstrap, topic):
        for r in records:
            store.apply(decode(r.value), r.topic, r.partition, r.offset)
        count += len(records)
        if count >= limit:
            break
    seconds = time.perf_counter() - started
    return {"events": count, "seconds": round(seconds, 1), "events_per_s": round(count / seconds)}


def rebuild(bootstrap: str, workdir: Path, total: int) -> dict:
    """Produce `total` events to a fresh topic; raw read speed, batched rebuild speed, per-event speed."""
    from ventanilla.adapters.projection_rebuild import rebuild as rebuild_store
    from ventanilla.adapters.topics import TOPICS, ensure_topics
    from ventanilla.config import Settings

    settings = Settings.from_env({"VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                                  "VENTANILLA_INVOICE_EVENTS_TOPIC": f"bench.invoice-events.{uuid.uuid4().hex[:8]}"})
    ensure_topics(settings, TOPICS[:1])
    topic = settings.topics.invoice_events
    produced_s = produce_events(bootstrap, topic, total)
    raw = raw_read(bootstrap, topic)
    report = rebuild_store(bootstrap, topic, workdir / "rebuilt.sqlite3", reader_process=False)
    slow = per_event_transactions(bootstrap, topic, workdir / "per-event.sqlite3", min(total, 50_000))
    return {"events": total, "produce_s": round(produced_s, 1), "raw_read": raw,
            "rebuild": {"events": report.events, "seconds": round(report.seconds, 1),
                        "events_per_s": round(report.events_per_s)},
            "rebuild_vs_raw_ratio": round(report.events_per_s / raw["events_per_s"], 3),
            "per_event_transactions": slow,
            "batched_vs_per_event_speedup": round(report.events_per_s / slow["events_per_s"], 1),
            "store_mib": round((workdir / "rebuilt.sqlite3").stat().st_size / 2 ** 20)}


def main(argv: list[str] | None = None) -> int:
    """Run the three measurements; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--lag-invoices", type=int, default=100)
    parser.add_argument("--rate", type=float, default=25.0, help="back-office updates per second during the lag test")
    parser.add_argument("--out", type=Path)
    args, _ = parser.parse_known_args(argv)  # run_all.py's own arguments (script names) are not ours
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "edge": "HTTPS with the seller's dev client certificate (tests/e2e/own_stack.py)"}
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp, broker(Path(tmp)) as bootstrap:
        from tests.support.stack_env import free_ports

        stack = own_stack({"VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": bootstrap, "VENTANILLA_KAFKA_EXTERNAL": "1",
                           "VENTANILLA_LOG_LEVEL": "WARNING"}, Path(tmp) / "state", free_ports(5))
        try:
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=4) as pool:
                ids = list(pool.map(lambda _: lc.register(stack.settings)[0], range(args.invoices)))
            results["registration"] = {"invoices": len(ids), "seconds": round(time.perf_counter() - started, 1)}
            print("registered", results["registration"], file=sys.stderr, flush=True)
            results["lag"] = lag(stack, ids[:args.lag_invoices], args.rate)
            print("lag", results["lag"], file=sys.stderr, flush=True)
            results["group_500"] = group(stack, ids)
            print("group", results["group_500"], file=sys.stderr, flush=True)
        finally:
            stack.stop_all()
        results["rebuild"] = rebuild(bootstrap, Path(tmp), args.events)
    results["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

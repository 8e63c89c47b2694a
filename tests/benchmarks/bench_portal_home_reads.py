"""Issue 11, the home page's reads: `python tests/benchmarks/bench_portal_home_reads.py [--seconds S] [--rounds K]`
(also run by `make bench`). 8 threads read the home page's facts from one projection (200 integrators, 3 notices):
`home()`'s one statement against the three reads it replaced (integrator_with_history, represented_by, notices),
alternated, on SQLite and (when Debian's postgresql is installed) on a PostgreSQL cluster on loopback. Calls/s and
this process's CPU ms per call, medians of the rounds. Prints JSON, writes var/bench/portal_home_reads.json."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INTEGRATORS, THREADS, NOTICES = 200, 8, 3


def three(projection, nif: str) -> None:
    projection.integrator_with_history(nif, 8)
    projection.represented_by(nif)
    projection.notices(5)


def one(projection, nif: str) -> None:
    projection.home(nif, nif, 8, 5)


def measure(projection, read, seconds: float) -> tuple[float, float]:
    """Calls/s of 8 threads calling read for `seconds`, and CPU ms per call."""
    from tests.benchmarks.portal_data import nif

    stop, counts = time.monotonic() + seconds, [0] * THREADS

    def work(thread: int) -> None:
        n = 0
        while time.monotonic() < stop:
            read(projection, nif((thread * 7 + n) % INTEGRATORS))
            n += 1
        counts[thread] = n

    cpu, wall = time.process_time(), time.monotonic()
    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return sum(counts) / wall, cpu / sum(counts) * 1000


def compare(target, seconds: float, rounds: int) -> dict:
    """Load the projection, then alternate the two ways of reading; medians."""
    from ventanilla.adapters.portal_projection import PortalProjection
    from ventanilla.domain import integrator_events as ev
    from tests.benchmarks.portal_data import integrator_events

    projection = PortalProjection(target)
    events = [e for n in range(INTEGRATORS) for e in integrator_events(n, b"der")]
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    events += [ev.NoticePublished(event_id=f"n{k}", nif="STAFF", occurred_at=at, actor_nif="STAFF", notice_id=f"n{k}",
                                  title="Parada", body="El sábado.") for k in range(NOTICES)]
    projection.apply_many([(e, "integrators", 0, n) for n, e in enumerate(events)])
    figures = {"three_statements": [], "one_statement": []}
    for read in (three, one):
        measure(projection, read, 0.5)  # warm-up: connections, statement caches, kept states
    for _ in range(rounds):
        for name, read in (("three_statements", three), ("one_statement", one)):
            figures[name].append(measure(projection, read, seconds))
    projection.close()
    result = {name: {"calls_per_s": round(statistics.median(r for r, _ in runs)),
                     "cpu_ms_per_call": round(statistics.median(c for _, c in runs), 4)} for name, runs in figures.items()}
    result["one_vs_three_cpu"] = round(result["one_statement"]["cpu_ms_per_call"]
                                       / result["three_statements"]["cpu_ms_per_call"], 2)
    return result


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.bench_soap_edge import machine, publish
    from tests.support.postgres import PostgresCluster, postgres_bin
    from tests.support.stack_env import free_ports

    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args, _ = parser.parse_known_args(argv)
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "load_avg_1min": {"start": os.getloadavg()[0]}}
    with tempfile.TemporaryDirectory(prefix="bench-home-reads-") as scratch:
        results["sqlite"] = compare(Path(scratch) / "projection.sqlite3", args.seconds, args.rounds)
        if postgres_bin("initdb") is not None:
            cluster = PostgresCluster(free_ports(1)[0])
            try:
                results["postgres"] = compare(cluster.start(), args.seconds, args.rounds)
            finally:
                cluster.stop()
    results["load_avg_1min"]["end"] = os.getloadavg()[0]
    publish(results, ROOT / "var" / "bench" / "portal_home_reads.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The projection's own cost of a replay, without Kafka: encoded events in memory → a fresh store.

`.venv/bin/python tests/benchmarks/bench_projection_apply.py [--events N] [--batch B] [--rounds R] [--profile]
[--short]` prints events/s (wall and CPU) for decode alone, for the domain fold (decode + `apply_many`, what the
live projector does) and for the row replay (`replay_many`, what `projections rebuild` and a replica's catch-up
do), rounds interleaved, so that the projection's share of a rebuild can be told from the broker's. The JSON goes
to var/bench/projection_apply.json.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from collections import namedtuple
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ventanilla.adapters.event_codec import decode, decode_facts, encode  # noqa: E402
from ventanilla.adapters.projection_rebuild import fresh_store  # noqa: E402
from ventanilla.domain.invoice import InvoiceKey  # noqa: E402

from tests.support.backlog import STEPS  # noqa: E402
from tests.unit.domain.factories import changed, registered  # noqa: E402

Record = namedtuple("Record", "topic partition offset value")


def records(total: int) -> list[Record]:
    """The backlog of tests/support/backlog.py as consumer records of one partition."""
    template, out = registered(), []
    for invoice_id in range(1, total // 4 + 1):
        reg = replace(template.invoice, id=invoice_id, key=InvoiceKey("B12345678", 2026, "A-", str(invoice_id)))
        out.append(encode(replace(template, invoice_id=invoice_id, invoice=reg)))
        for step, state in enumerate(STEPS, 1):
            out.append(encode(replace(changed(state, step), invoice_id=invoice_id, message_id=f"m-{invoice_id}-{step}")))
    return [Record("t", 0, offset, value) for offset, value in enumerate(out)]


def _fold(store, batch):
    return store.apply_many([(decode_facts(r.value), r.topic, r.partition, r.offset) for r in batch])


def _replay(store, batch):
    return store.replay_many([(r.value, r.topic, r.partition, r.offset) for r in batch])


def _run(log: list[Record], batch: int, apply, profile: cProfile.Profile | None = None) -> tuple[float, float]:
    """Wall and CPU seconds to apply the log into a fresh store, `batch` records per transaction."""
    with tempfile.TemporaryDirectory() as tmp:
        store = fresh_store(Path(tmp) / "p.sqlite3")
        wall, cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        for start in range(0, len(log), batch):
            apply(store, log[start:start + batch])
        if profile:
            profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        store.close()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile of one row replay")
    parser.add_argument("--short", action="store_true", help="20,000 events, 2 rounds")
    args, _ = parser.parse_known_args()  # make bench passes its own arguments through
    if args.short:
        args.events, args.rounds = 20_000, 2
    load_start, log = os.getloadavg()[0], records(args.events)
    started = time.perf_counter()
    for r in log:
        decode(r.value)
    decode_s = time.perf_counter() - started
    rounds = []
    for _ in range(args.rounds):  # interleaved: the machine's load moves both alike
        fold, replay = _run(log, args.batch, _fold), _run(log, args.batch, _replay)
        rounds.append({"fold_events_per_s": round(len(log) / fold[0]), "fold_cpu_us_per_event": round(fold[1] / len(log) * 1e6, 1),
                       "replay_events_per_s": round(len(log) / replay[0]),
                       "replay_cpu_us_per_event": round(replay[1] / len(log) * 1e6, 1),
                       "replay_over_fold_cpu": round(fold[1] / replay[1], 2)})
    result = {"events": len(log), "batch": args.batch, "decode_events_per_s": round(len(log) / decode_s),
              "rounds": rounds, "load_1m_start": load_start, "load_1m_end": os.getloadavg()[0]}
    print(json.dumps(result))
    out = Path(__file__).resolve().parents[2] / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "projection_apply.json").write_text(json.dumps(result, indent=2))
    if args.profile:
        profile = cProfile.Profile()
        _run(log, args.batch, _replay, profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()

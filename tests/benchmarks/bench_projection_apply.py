"""The projection's own cost of a replay, without Kafka: encoded events in memory → decode → apply_many.

`.venv/bin/python tests/benchmarks/bench_projection_apply.py [--events N] [--batch B] [--profile]`
prints events/s for decode alone and for decode + apply into a fresh store (as `projections rebuild` does per
fetched batch), so that the projection's share of a rebuild can be told from the broker's.
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

from ventanilla.adapters.event_codec import decode, encode  # noqa: E402
try:
    from ventanilla.adapters.projection_rebuild import apply_batch, fresh_store  # noqa: E402
except ImportError:  # before this change: the store and the loop of projection_rebuild.replay
    from ventanilla.adapters.projection_store import ProjectionStore as fresh_store  # noqa: E402

    def apply_batch(store, batch):
        return store.apply_many([(decode(r.value), r.topic, r.partition, r.offset) for r in batch])
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    log = records(args.events)
    started = time.perf_counter()
    for r in log:
        decode(r.value)
    decode_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        store = fresh_store(Path(tmp) / "p.sqlite3")
        profile = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profile:
            profile.enable()
        for start in range(0, len(log), args.batch):
            apply_batch(store, log[start:start + args.batch])
        if profile:
            profile.disable()
        apply_s = time.perf_counter() - started
        store.close()
    print(json.dumps({"events": len(log), "decode_events_per_s": round(len(log) / decode_s),
                      "decode_and_apply_events_per_s": round(len(log) / apply_s),
                      "load_1m": os.getloadavg()[0]}))
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()

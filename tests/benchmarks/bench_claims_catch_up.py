"""How long the registry's claims catch-up takes after a restore: raw read of the log, catch-up into an empty
claims store (every registration restored), catch-up again over the same log (nothing to restore), same run.

    .venv/bin/python tests/benchmarks/bench_claims_catch_up.py [--events 200000]
"""
from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_lifecycle import broker, machine, produce_events, raw_read  # noqa: E402


def catch_up(claims, blobs, bootstrap: str, topic: str) -> dict:
    """One catch-up from the store's checkpoint; its speed."""
    from registry_service.recovery import ClaimsCatchUp

    started = time.perf_counter()
    report = ClaimsCatchUp(claims, blobs, bootstrap, topic)()
    seconds = time.perf_counter() - started
    return {"events": report.records, "restored": report.restored, "seconds": round(seconds, 1),
            "events_per_s": round(report.records / seconds) if report.records else None}


def main(argv: list[str] | None = None) -> int:
    """Produce the events, then measure; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # one warning per restored claim without its receipt would dominate
    from ventanilla.adapters.blob_store import DirectoryBlobStore
    from ventanilla.adapters.claims import SqliteClaims
    from ventanilla.adapters.topics import TOPICS, ensure_topics
    from ventanilla.config import Settings

    with tempfile.TemporaryDirectory() as work, broker(Path(work)) as bootstrap:
        settings = Settings.from_env({"VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                                      "VENTANILLA_INVOICE_EVENTS_TOPIC": f"bench.claims.{uuid.uuid4().hex[:8]}"})
        ensure_topics(settings, TOPICS[:1])
        topic = settings.topics.invoice_events
        produce_events(bootstrap, topic, args.events)
        raw = raw_read(bootstrap, topic)
        claims, blobs = SqliteClaims(Path(work) / "claims.sqlite3"), DirectoryBlobStore(Path(work) / "blobs")
        empty = catch_up(claims, blobs, bootstrap, topic)
        again = catch_up(claims, blobs, bootstrap, topic)  # from the checkpoint: nothing new
        with sqlite3.connect(Path(work) / "claims.sqlite3") as db:  # a store without a checkpoint, all known
            db.execute("DELETE FROM log_checkpoints")
        known = catch_up(claims, blobs, bootstrap, topic)
    print(json.dumps({"machine": machine(), "events": args.events, "raw_read": raw,
                      "catch_up_into_empty_store": empty, "catch_up_from_checkpoint": again,
                      "catch_up_whole_log_all_known": known,
                      "empty_store_vs_raw_ratio": round(empty["events_per_s"] / raw["events_per_s"], 3)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

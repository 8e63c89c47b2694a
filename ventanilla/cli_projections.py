"""`ventanilla projections rebuild|snapshot`: replay the log into a fresh projection; store a snapshot of it."""
from __future__ import annotations

import argparse
import sys

from ventanilla.config import Settings


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add `projections rebuild`."""
    projections = subcommands.add_parser("projections", help="the status service's read model")
    actions = projections.add_subparsers(dest="action", required=True, metavar="ACTION")
    rebuild_ = actions.add_parser("rebuild", help="replay the invoice log from offset 0 into a fresh store and "
                                                  "swap it in (the status service must be stopped)")
    rebuild_.add_argument("--batch", type=int, default=5000, help="events per SQLite transaction (default 5000)")
    rebuild_.add_argument("--one-process", action="store_true",
                          help="fetch and parse the log in this process too (by default a second process does, "
                               "overlapping the replay: 0.55 against 0.38 of a raw read on 2 cores, docs/benchmarks.md)")
    rebuild_.set_defaults(handler=rebuild)
    snapshot_ = actions.add_parser("snapshot", help="store a consistent copy of the projection (running or stopped) "
                                                    "in the blob store and point the latest snapshot at it")
    snapshot_.add_argument("--keep", type=int, default=0, metavar="N",
                           help="then delete every older snapshot but the newest N, this one included "
                                "(default 0: delete none)")
    snapshot_.set_defaults(handler=snapshot)


def rebuild(settings: Settings, args: argparse.Namespace) -> int:
    """Refuse while the status service answers on its address; otherwise rebuild and report the speed."""
    from kafka.errors import KafkaError

    from ventanilla.adapters.projection_rebuild import rebuild as rebuild_store
    from ventanilla.stack import STATUS_HEALTH

    if STATUS_HEALTH(settings):  # the status port requires mutual TLS
        print(f"ventanilla projections rebuild: the status service answers at {settings.addresses.status}; "
              "stop it first (it holds the store open), then start it again after the rebuild", file=sys.stderr)
        return 1
    if args.batch < 1:
        print("ventanilla projections rebuild: --batch must be at least 1", file=sys.stderr)
        return 2
    target = settings.path("status", "projection.sqlite3")
    try:
        report = rebuild_store(settings.kafka.bootstrap_servers, settings.topics.invoice_events, target, args.batch,
                               reader_process=not args.one_process)
    except (KafkaError, LookupError) as error:
        print(f"ventanilla projections rebuild: {error}", file=sys.stderr)
        return 1
    print(f"rebuilt {target} from {settings.topics.invoice_events}: {report.events} events in "
          f"{report.seconds:.1f} s ({report.events_per_s:,.0f} events/s)")
    return 0


def snapshot(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the projection with SQLite's backup API, store it by hash and move the 'latest' pointer to it."""
    from ventanilla.adapters import projection_snapshot
    from ventanilla.adapters.blob_store import open_snapshot_store

    source = settings.path("status", "projection.sqlite3")
    if args.keep < 0:
        print("ventanilla projections snapshot: --keep must be 0 (keep all) or more", file=sys.stderr)
        return 2
    if not source.exists():
        print(f"ventanilla projections snapshot: no projection at {source}", file=sys.stderr)
        return 1
    store = open_snapshot_store(settings)
    pointer = projection_snapshot.take(source, settings.topics.invoice_events, store)
    print(f"snapshot {pointer.sha256} ({pointer.size:,} bytes, schema {pointer.schema_version}) of "
          f"{pointer.topic} at {sum(pointer.offsets.values()):,} events, taken {pointer.taken_at}")
    if args.keep:
        pruned = projection_snapshot.prune(store, args.keep)
        print(f"kept the newest {len(pruned.kept)} snapshots; deleted {len(pruned.deleted)} older"
              + (f"; {len(pruned.locked)} still under object lock, deleted once it ends" if pruned.locked else ""))
    return 0

"""`ventanilla log export|import`: the permanent topics (the legal log) to a file and back (docs/operations.md)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ventanilla.config import Settings


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add `log export` and `log import`."""
    log = subcommands.add_parser("log", help="backups of the topics kept forever (the invoice log)")
    actions = log.add_subparsers(dest="action", required=True, metavar="ACTION")
    export_ = actions.add_parser("export", help="write every record of the permanent topics to a file")
    export_.add_argument("file", type=Path, help="the export (gzip JSON lines)")
    export_.set_defaults(handler=export)
    into = actions.add_parser("import", help="append an export's records to empty topics of this cluster")
    into.add_argument("file", type=Path)
    into.set_defaults(handler=import_)


def permanent_topics(settings: Settings) -> dict[str, str]:
    """The topics kept forever (retention.ms -1), by role: the records a restore cannot do without."""
    from ventanilla.adapters.topics import TOPICS

    return {spec.role: spec.name(settings) for spec in TOPICS if dict(spec.configs).get("retention.ms") == "-1"}


def export(settings: Settings, args: argparse.Namespace) -> int:
    """Export the permanent topics."""
    from ventanilla.adapters.log_archive import export_topics

    report = export_topics(settings.kafka.bootstrap_servers, permanent_topics(settings), args.file)
    print(f"exported {report.records} to {args.file}")
    return 0


def import_(settings: Settings, args: argparse.Namespace) -> int:
    """Import an export into the permanent topics named by these settings (they must exist and be empty)."""
    from ventanilla.adapters.log_archive import import_topics
    from ventanilla.adapters.log_reader import read_to_end

    topics = permanent_topics(settings)
    for topic in topics.values():
        if next(read_to_end(settings.kafka.bootstrap_servers, topic, max_records=1), None):
            print(f"ventanilla log import: {topic} is not empty; import only into a new cluster", file=sys.stderr)
            return 1
    report = import_topics(settings.kafka.bootstrap_servers, args.file, topics)
    print(f"imported {report.records} from {args.file}")
    return 0

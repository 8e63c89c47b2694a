"""Exporting the permanent topics to a file and importing them into empty topics (backups of the legal log)."""
from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaProducer

from ventanilla.adapters.log_reader import read_to_end


@dataclass(frozen=True)
class ArchiveReport:
    """Records written or read per topic."""

    records: dict[str, int]


def export_topics(bootstrap_servers: str, topics: dict[str, str], path: Path) -> ArchiveReport:
    """Write every record of the topics (role -> name), in partition order, with key, value, timestamp and headers.

    gzip JSON lines: a first line naming the topics by role, then one line per record.
    """
    counts = {}
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(json.dumps({"topics": topics}) + "\n")
        for topic in topics.values():
            counts[topic] = 0
            for batch in read_to_end(bootstrap_servers, topic):
                for r in batch:
                    out.write(json.dumps({
                        "topic": topic, "partition": r.partition, "offset": r.offset, "timestamp": r.timestamp,
                        "key": _b64(r.key), "value": _b64(r.value),
                        "headers": [[name, _b64(value)] for name, value in (r.headers or [])]}) + "\n")
                    counts[topic] += 1
    return ArchiveReport(counts)


def import_topics(bootstrap_servers: str, path: Path, topics: dict[str, str]) -> ArchiveReport:
    """Append an export's records to the (empty) topics of the same roles, each to its original partition, in order."""
    producer = KafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True,
                             max_in_flight_requests_per_connection=1, client_id="ventanilla-log-import")
    counts: dict[str, int] = {}
    try:
        with gzip.open(path, "rt", encoding="utf-8") as source:
            roles = json.loads(next(source))["topics"]
            target = {exported: topics[role] for role, exported in roles.items()}
            for line in source:
                r = json.loads(line)
                topic = target[r["topic"]]
                producer.send(topic, value=_bytes(r["value"]), key=_bytes(r["key"]), partition=r["partition"],
                              timestamp_ms=r["timestamp"], headers=[(n, _bytes(v)) for n, v in r["headers"]])
                counts[topic] = counts.get(topic, 0) + 1
        producer.flush()
    finally:
        producer.close()
    return ArchiveReport(counts)


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)

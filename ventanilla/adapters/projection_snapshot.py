"""Snapshots of the status projection: a consistent copy of its SQLite file, stored by hash, named by a pointer."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Protocol

from ventanilla.adapters.blob_store import fsync_path, synced_temp_of

POINTER = "status-projection-latest.json"
HISTORY = "status-projection-snapshots.json"  # every snapshot still stored, newest first (what pruning reads)


class SnapshotStore(Protocol):
    """A blob store that also keeps small named objects (the pointer to the latest snapshot)."""

    def put(self, data: bytes, name: str = "", media_type: str = ""): ...
    def put_file(self, path: Path, name: str = "", media_type: str = ""): ...
    def chunks(self, sha256: str) -> Iterator[bytes]: ...
    def put_named(self, name: str, data: bytes) -> None: ...
    def get_named(self, name: str) -> bytes: ...
    def delete(self, sha256: str) -> None: ...


@dataclass(frozen=True)
class Pointer:
    """What the latest snapshot is: its blob, schema version, topic, read positions and when it was taken."""

    sha256: str
    size: int
    schema_version: int
    topic: str
    offsets: dict[int, int]
    taken_at: str

    def fields(self) -> dict:
        return asdict(self) | {"offsets": {str(p): o for p, o in self.offsets.items()}}

    def to_json(self) -> bytes:
        return json.dumps(self.fields()).encode()

    @classmethod
    def from_fields(cls, fields: dict) -> "Pointer":
        return cls(**(fields | {"offsets": {int(p): int(o) for p, o in fields["offsets"].items()}}))

    @classmethod
    def from_json(cls, data: bytes) -> "Pointer":
        return cls.from_fields(json.loads(data))


def recorded(path: Path, topic: str) -> tuple[int, dict[int, int]]:
    """The schema version and the topic's read positions a projection file records."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        rows = db.execute("SELECT partition, next_offset FROM positions WHERE topic=?", (topic,)).fetchall()
    return version, dict(rows)


def consistent_copy(source: Path, target: Path) -> None:
    """SQLite's online backup in one step: one read transaction, so rows and positions agree (WAL writers go on)."""
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it


def take(source: Path, topic: str, store: SnapshotStore, now: datetime | None = None) -> Pointer:
    """Copy the projection, store the copy by hash, then point the latest-snapshot pointer at it."""
    with tempfile.TemporaryDirectory(prefix="snapshot-") as tmp:
        copy = Path(tmp) / "projection.sqlite3"
        consistent_copy(source, copy)
        version, offsets = recorded(copy, topic)
        ref = store.put_file(copy, "status-projection.sqlite3", "application/vnd.sqlite3")  # streamed: never in memory
    pointer = Pointer(ref.sha256, ref.size, version, topic, offsets,
                      (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"))
    _record(store, [pointer] + [p for p in stored(store) if p.sha256 != ref.sha256])  # the same bytes: once
    store.put_named(POINTER, pointer.to_json())
    return pointer


def stored(store: SnapshotStore) -> list[Pointer]:
    """Every snapshot still stored, newest first (the latest alone when it was taken before the history was kept)."""
    try:
        return [Pointer.from_fields(fields) for fields in json.loads(store.get_named(HISTORY))]
    except KeyError:
        pointer = latest(store)
        return [pointer] if pointer else []


def _record(store: SnapshotStore, snapshots: list[Pointer]) -> None:
    store.put_named(HISTORY, json.dumps([p.fields() for p in snapshots]).encode())


@dataclass(frozen=True)
class Pruned:
    """What pruning did: the snapshots kept, the blobs deleted, and the blobs still locked (retried next time)."""

    kept: list[Pointer]
    deleted: list[str]
    locked: list[str]


def prune(store: SnapshotStore, keep: int) -> Pruned:
    """Delete the blobs of all but the newest `keep` snapshots (never one a kept snapshot shares), then the history
    names what is still stored; a blob under object lock stays in it until its lock ends."""
    if keep < 1:
        raise ValueError("keep at least the latest snapshot")
    snapshots = stored(store)
    kept, older = snapshots[:keep], snapshots[keep:]
    needed = {p.sha256 for p in kept}
    deleted, locked, still = [], [], []
    for pointer in older:
        if pointer.sha256 in needed or pointer.sha256 in deleted:
            continue
        try:
            store.delete(pointer.sha256)
            deleted.append(pointer.sha256)
        except PermissionError:
            locked.append(pointer.sha256)
            still.append(pointer)
    _record(store, kept + still)
    return Pruned(kept, deleted, locked)


def latest(store: SnapshotStore) -> Pointer | None:
    """The pointer to the latest snapshot, or None when none was taken."""
    try:
        return Pointer.from_json(store.get_named(POINTER))
    except KeyError:
        return None


def refusal(version: int, topic: str, offsets: dict[int, int], schema_version: int, expected_topic: str,
            log_end: dict[int, int], log_beginning: dict[int, int]) -> str | None:
    """Why a snapshot must not seed this replica (None: it may): another schema or topic, positions ahead of the
    log's end (the topic was reset or recreated), or a log that now begins past them (retention or deleted
    records took events the snapshot lacks, so its tail cannot be replayed)."""
    if version != schema_version:
        return f"schema version {version}, this replica's is {schema_version}"
    if topic != expected_topic:
        return f"topic {topic}, this replica reads {expected_topic}"
    ahead = {p: o for p, o in offsets.items() if o > log_end.get(p, 0)}
    if ahead:
        return f"positions {ahead} ahead of the log's end {log_end} (was the log reset?)"
    gap = {p: b for p, b in log_beginning.items() if b > offsets.get(p, 0)}
    if gap:
        return (f"the log now begins at {gap}, past the snapshot's positions "
                f"{ {p: offsets.get(p, 0) for p in gap} } (retention or a reset removed events after it)")
    return None


def restore(pointer: Pointer, store: SnapshotStore, target: Path, schema_version: int, topic: str,
            log_end: dict[int, int], log_beginning: dict[int, int]) -> str | None:
    """Write the snapshot's file at target (atomically, fsynced) unless refused; the refusal's reason, else None."""
    reason = refusal(pointer.schema_version, pointer.topic, pointer.offsets, schema_version, topic, log_end,
                     log_beginning)
    if reason:
        return reason
    digest = hashlib.sha256()
    tmp = synced_temp_of(target.parent, store.chunks(pointer.sha256), digest)  # streamed: never in memory
    try:
        if digest.hexdigest() != pointer.sha256:
            return f"the stored snapshot {pointer.sha256} does not match its hash"
        version, offsets = recorded(tmp, topic)  # the file itself, not only its pointer, must agree
        reason = refusal(version, topic, offsets, schema_version, topic, log_end, log_beginning)
        if reason is None:
            os.replace(tmp, target)
            fsync_path(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return reason

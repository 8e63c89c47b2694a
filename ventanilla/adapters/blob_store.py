"""Content-addressed document storage: a directory, or an S3-compatible object store (blob_store_s3)."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from ventanilla.config import Settings
from ventanilla.domain.invoice import DocumentRef
from ventanilla.ports import BlobStore

_SHA256 = re.compile(r"[0-9a-f]{64}")  # a blob's name: its SHA-256 in lower-case hex


def open_blob_store(settings: Settings) -> BlobStore:
    """The store VENTANILLA_BLOB_STORE names: a directory (VENTANILLA_BLOB_DIR) or an S3 bucket."""
    if settings.blobs.store == "s3":
        from ventanilla.adapters.blob_store_s3 import S3BlobStore

        return S3BlobStore.from_settings(settings)
    return DirectoryBlobStore(settings.blobs.directory)


def open_snapshot_store(settings: Settings) -> BlobStore:
    """Where status snapshots live: the S3 bucket VENTANILLA_S3_SNAPSHOT_BUCKET names (without the documents'
    object lock, so pruning frees them), else the documents' store."""
    if settings.blobs.store == "s3":
        from ventanilla.adapters.blob_store_s3 import S3BlobStore

        return S3BlobStore.from_settings(settings, snapshots=True)
    return DirectoryBlobStore(settings.blobs.directory)


class DirectoryBlobStore:
    """Blobs as files named by hash under a root directory, fsynced before put returns."""

    def __init__(self, root: Path):
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True)
        self._directory = str(root)

    def _path(self, sha256: str) -> Path:
        return Path(self._file(sha256))

    def _file(self, sha256: str) -> str:
        """The blob's file name (a string: pathlib's joins cost more than the read of a small blob)."""
        if _SHA256.fullmatch(sha256) is None:
            raise KeyError(sha256)
        return f"{self._directory}/{sha256[:2]}/{sha256}"

    def put(self, data: bytes, name: str = "", media_type: str = "") -> DocumentRef:
        """Write to a temporary file, fsync, rename into place and fsync the directory."""
        digest = hashlib.sha256(data).hexdigest()
        target = self._path(digest)
        if not target.exists():
            replace_durably(target, data)
        return DocumentRef(digest, len(data), name, media_type)

    def get(self, sha256: str) -> bytes:
        """Read a blob back; KeyError when it is not stored."""
        try:
            with open(self._file(sha256), "rb", buffering=0) as handle:
                return handle.readall()
        except FileNotFoundError:
            raise KeyError(sha256) from None

    def put_file(self, path: Path, name: str = "", media_type: str = "") -> DocumentRef:
        """Store a file's bytes as put does, a chunk at a time (a snapshot larger than memory)."""
        digest, size = file_sha256(path)
        target = self._path(digest)
        if not target.exists():
            replace_durably(target, file_chunks(path))
        return DocumentRef(digest, size, name, media_type)

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """A blob's bytes a chunk at a time, unchecked (the reader hashes them); KeyError when it is not stored."""
        path = self._path(sha256)
        if not path.exists():
            raise KeyError(sha256)
        return file_chunks(path)

    def delete(self, sha256: str) -> None:
        """Remove a blob (a pruned snapshot); nothing when it is already gone."""
        self._path(sha256).unlink(missing_ok=True)

    def put_named(self, name: str, data: bytes) -> None:
        """Replace a small named object (a pointer) atomically and durably."""
        replace_durably(self._root / "named" / named(name), data)

    def get_named(self, name: str) -> bytes:
        """A named object's bytes; KeyError when absent."""
        try:
            return (self._root / "named" / named(name)).read_bytes()
        except FileNotFoundError:
            raise KeyError(name) from None


def named(name: str) -> str:
    """A named object's name: lower-case letters, digits, dots and dashes only."""
    if not name or name.startswith(".") or any(c not in "abcdefghijklmnopqrstuvwxyz0123456789.-" for c in name):
        raise KeyError(name)
    return name


CHUNK = 1 << 20  # bytes read or written at a time when a blob is streamed


def synced_temp(directory: Path, data: bytes) -> Path:
    """The bytes in a new hidden file of that directory, fsynced (the caller renames or deletes it)."""
    return synced_temp_of(directory, (data,))


def synced_temp_of(directory: Path, chunks: Iterable[bytes], digest=None) -> Path:
    """The chunks in a new hidden file of that directory, fsynced, fed to digest too when one is given (a hashlib
    object: a streamed blob checked as it is written); the caller renames or deletes the file."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                if digest is not None:
                    digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def file_chunks(path: Path) -> Iterator[bytes]:
    """A file's bytes, CHUNK at a time."""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def file_sha256(path: Path) -> tuple[str, int]:
    """A file's SHA-256 (hex) and size, read a chunk at a time."""
    digest, size = hashlib.sha256(), 0
    for chunk in file_chunks(path):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def replace_durably(target: Path, data: bytes | Iterable[bytes]) -> None:
    """Write the bytes (or chunks) to a temporary file, fsync, rename into place and fsync the directory."""
    tmp = synced_temp_of(target.parent, (data,) if isinstance(data, bytes) else data)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(target.parent)


def fsync_path(path: Path) -> None:
    """Flush a file or a directory (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

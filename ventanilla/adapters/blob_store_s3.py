"""Content-addressed documents in an S3-compatible object store (boto3), under object lock when asked."""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ventanilla.adapters.blob_store import CHUNK, file_sha256, named
from ventanilla.config import Settings
from ventanilla.domain.invoice import DocumentRef

_MISSING = {"404", "NoSuchKey", "NotFound"}


def _hex_sha256(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise KeyError(sha256)
    return sha256


class S3BlobStore:
    """Blobs as objects named by hash; the server checks each upload's SHA-256 before it answers.

    With retention_days > 0 each object is written under COMPLIANCE object lock until then (the bucket
    must have object lock enabled); with 0 the bucket's default retention applies, if any.
    """

    def __init__(self, client, bucket: str, prefix: str = "blobs/", retention_days: int = 0,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self._client = client
        self._bucket = bucket
        self._prefix = prefix
        self._retention = timedelta(days=retention_days)
        self._now = now

    @classmethod
    def from_settings(cls, settings: Settings, snapshots: bool = False) -> "S3BlobStore":
        """A store on the VENTANILLA_S3_* endpoint and bucket; with `snapshots`, the status snapshots' bucket
        (VENTANILLA_S3_SNAPSHOT_BUCKET, never under this store's object lock) when one is set."""
        if not settings.blobs.s3_bucket:
            raise SystemExit("VENTANILLA_BLOB_STORE=s3 needs VENTANILLA_S3_BUCKET")
        if snapshots and settings.blobs.s3_snapshot_bucket:
            return cls(cls._client_of(settings), settings.blobs.s3_snapshot_bucket, settings.blobs.s3_prefix)
        return cls(cls._client_of(settings), settings.blobs.s3_bucket, settings.blobs.s3_prefix,
                   settings.blobs.s3_retention_days)

    @staticmethod
    def _client_of(settings: Settings):
        return boto3.client(
            "s3", endpoint_url=settings.blobs.s3_endpoint or None, region_name=settings.blobs.s3_region,
            aws_access_key_id=settings.blobs.s3_access_key_id or None,
            aws_secret_access_key=settings.blobs.s3_secret_access_key or None,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"},
                          connect_timeout=5, read_timeout=30,
                          # the SHA-256 below is the checksum; no extra CRC that some servers refuse
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"))

    def _key(self, sha256: str) -> str:
        return f"{self._prefix}{sha256[:2]}/{sha256}"

    def put(self, data: bytes, name: str = "", media_type: str = "") -> DocumentRef:
        """Upload unless already stored; returns once the store has acknowledged the verified bytes."""
        digest = hashlib.sha256(data)
        ref = DocumentRef(digest.hexdigest(), len(data), name, media_type)
        if self._stored(self._key(ref.sha256)):
            return ref
        request = {"Bucket": self._bucket, "Key": self._key(ref.sha256), "Body": data,
                   "ContentType": media_type or "application/octet-stream",
                   "ChecksumSHA256": base64.b64encode(digest.digest()).decode("ascii")}
        if self._retention:
            request.update(ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=self._now() + self._retention)
        self._client.put_object(**request)
        return ref

    def put_file(self, path: Path, name: str = "", media_type: str = "") -> DocumentRef:
        """Store a file's bytes as put does, streamed from the file (a snapshot larger than memory)."""
        digest, size = file_sha256(path)
        ref = DocumentRef(digest, size, name, media_type)
        if self._stored(self._key(digest)):
            return ref
        request = {"Bucket": self._bucket, "Key": self._key(digest), "ContentType": media_type or "application/octet-stream",
                   "ChecksumSHA256": base64.b64encode(bytes.fromhex(digest)).decode("ascii"), "ContentLength": size}
        if self._retention:
            request.update(ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=self._now() + self._retention)
        with path.open("rb") as body:
            self._client.put_object(Body=body, **request)
        return ref

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """A blob's bytes a chunk at a time, unchecked (the reader hashes them); KeyError when it is not stored."""
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=self._key(_hex_sha256(sha256)))["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise KeyError(sha256) from None
            raise
        return body.iter_chunks(CHUNK)

    def get(self, sha256: str) -> bytes:
        """The stored bytes, checked against their name; KeyError when absent."""
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=self._key(_hex_sha256(sha256)))["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise KeyError(sha256) from None
            raise
        if hashlib.sha256(body).hexdigest() != sha256:
            raise OSError(f"blob {sha256} is corrupt in the object store")
        return body

    def delete(self, sha256: str) -> None:
        """Remove every version of a blob (a pruned snapshot), so its storage is freed; nothing when already gone.

        PermissionError when a version is still under object lock: it stays until its retention ends.
        """
        key = self._key(_hex_sha256(sha256))
        listed = self._client.list_object_versions(Bucket=self._bucket, Prefix=key)
        versions = [v for v in listed.get("Versions", []) + listed.get("DeleteMarkers", []) if v["Key"] == key]
        for version in versions:
            try:
                self._client.delete_object(Bucket=self._bucket, Key=key, VersionId=version["VersionId"])
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "AccessDenied":
                    raise PermissionError(f"blob {sha256} is under object lock") from None
                raise

    def put_named(self, name: str, data: bytes) -> None:
        """Replace a small named object (a pointer); never under object lock, it is overwritten."""
        self._client.put_object(Bucket=self._bucket, Key=f"{self._prefix}named/{named(name)}", Body=data,
                                ContentType="application/json")

    def get_named(self, name: str) -> bytes:
        """A named object's bytes; KeyError when absent."""
        try:
            return self._client.get_object(Bucket=self._bucket, Key=f"{self._prefix}named/{named(name)}")["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise KeyError(name) from None
            raise

    def _stored(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        return True

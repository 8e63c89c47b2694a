"""The S3 blob store on a real S3-compatible server (versitygw): chosen by the settings, retention enforced.

The contract both blob stores keep: tests/integration/test_invoice_contracts.py.
"""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from ventanilla.adapters.blob_store import DirectoryBlobStore, open_blob_store, open_snapshot_store
from ventanilla.adapters.blob_store_s3 import S3BlobStore

pytestmark = pytest.mark.integration
PDF = b"%PDF-1.7 receipt " * 1000


def test_the_object_store_is_chosen_by_the_settings(s3_settings):
    assert isinstance(open_blob_store(s3_settings), S3BlobStore)
    assert isinstance(open_blob_store(replace(s3_settings, blobs=replace(s3_settings.blobs, store="directory"))), DirectoryBlobStore)


def test_a_retained_document_cannot_be_deleted_before_its_retention_ends(s3_settings):
    store = S3BlobStore.from_settings(replace(s3_settings, blobs=replace(s3_settings.blobs, s3_retention_days=30)))
    ref = store.put(PDF, "comprobante-2.pdf", "application/pdf")
    client, key = store._client, store._key(ref.sha256)
    retention = client.get_object_retention(Bucket=s3_settings.blobs.s3_bucket, Key=key)["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert retention["RetainUntilDate"] > datetime.now(timezone.utc) + timedelta(days=29)
    version = client.head_object(Bucket=s3_settings.blobs.s3_bucket, Key=key).get("VersionId")
    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=s3_settings.blobs.s3_bucket, Key=key, **({"VersionId": version} if version else {}))
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert store.get(ref.sha256) == PDF


@pytest.mark.parametrize("kind", ["directory", "s3"])
def test_a_named_object_is_replaced_in_place_and_absent_until_written(s3_settings, kind):
    store = open_blob_store(replace(s3_settings, blobs=replace(s3_settings.blobs, store=kind, s3_prefix=f"named-test-{kind}/")))
    with pytest.raises(KeyError):
        store.get_named("status-projection-latest.json")
    store.put_named("status-projection-latest.json", b'{"sha256": "a"}')
    store.put_named("status-projection-latest.json", b'{"sha256": "b"}')
    assert store.get_named("status-projection-latest.json") == b'{"sha256": "b"}'


@pytest.mark.parametrize("kind", ["directory", "s3"])
def test_a_deleted_blob_is_gone_with_every_version_and_deleting_it_again_is_harmless(s3_settings, kind):
    store = open_blob_store(replace(s3_settings, blobs=replace(s3_settings.blobs, store=kind, s3_prefix=f"delete-{kind}/")))
    ref = store.put(PDF + kind.encode(), "status-projection.sqlite3")
    store.delete(ref.sha256)
    with pytest.raises(KeyError):
        store.get(ref.sha256)
    store.delete(ref.sha256)
    if kind == "s3":  # a versioned (object-lock) bucket: no old version nor delete marker keeps the storage
        listed = store._client.list_object_versions(Bucket=s3_settings.blobs.s3_bucket, Prefix=store._key(ref.sha256))
        assert listed.get("Versions", []) == [] and listed.get("DeleteMarkers", []) == []


def test_a_blob_under_object_lock_is_not_deleted(s3_settings):
    store = S3BlobStore.from_settings(replace(s3_settings, blobs=replace(s3_settings.blobs, s3_retention_days=30)))
    ref = store.put(PDF + b"locked", "status-projection.sqlite3")
    with pytest.raises(PermissionError):
        store.delete(ref.sha256)
    assert store.get(ref.sha256) == PDF + b"locked"


def test_snapshots_go_to_their_own_bucket_when_one_is_set(s3_settings):
    assert open_snapshot_store(s3_settings)._bucket == s3_settings.blobs.s3_bucket
    own = replace(s3_settings, blobs=replace(s3_settings.blobs, s3_snapshot_bucket="snapshots"))
    assert open_snapshot_store(own)._bucket == "snapshots" and open_blob_store(own)._bucket == s3_settings.blobs.s3_bucket
    directory = replace(s3_settings, blobs=replace(s3_settings.blobs, store="directory"))
    assert isinstance(open_snapshot_store(directory), DirectoryBlobStore)


def test_pruning_snapshots_in_their_bucket_frees_them_while_documents_are_locked(s3_settings, tmp_path):
    import sqlite3
    import uuid
    from contextlib import closing

    from ventanilla.adapters.projection_snapshot import latest, prune, stored, take
    from ventanilla.adapters.projection_store import ProjectionStore

    bucket = f"snapshots-{uuid.uuid4().hex[:12]}"  # a plain bucket: no object lock
    settings = replace(s3_settings, blobs=replace(s3_settings.blobs, s3_retention_days=30, s3_snapshot_bucket=bucket))
    open_blob_store(settings)._client.create_bucket(Bucket=bucket)
    store, live = open_snapshot_store(settings), tmp_path / "live.sqlite3"
    ProjectionStore(live).close()
    taken = []
    for events in (10, 20, 30):
        with closing(sqlite3.connect(live)) as db:
            db.execute("INSERT OR REPLACE INTO positions VALUES ('invoice-events', 0, ?)", (events,))
            db.commit()
        taken.append(take(live, "invoice-events", store))
    pruned = prune(store, 2)
    assert pruned.deleted == [taken[0].sha256] and stored(store) == taken[:0:-1] and latest(store) == taken[-1]
    with pytest.raises(KeyError):
        store.get(taken[0].sha256)
    assert store.get(taken[1].sha256) and store.get(taken[2].sha256)


@pytest.mark.parametrize("kind", ["directory", "s3"])
def test_a_file_is_stored_and_read_back_a_chunk_at_a_time_as_its_bytes_would_be(s3_settings, tmp_path, kind):
    from ventanilla.adapters.blob_store import CHUNK

    store = open_blob_store(replace(s3_settings, blobs=replace(s3_settings.blobs, store=kind, s3_prefix=f"file-{kind}/")))
    data = bytes(range(256)) * (CHUNK * 5 // 2 // 256) + kind.encode()  # two and a half chunks
    path = tmp_path / "projection.sqlite3"
    path.write_bytes(data)
    ref = store.put_file(path, "status-projection.sqlite3", "application/vnd.sqlite3")
    assert (ref.size, ref.name) == (len(data), "status-projection.sqlite3")
    assert ref == store.put(data, "status-projection.sqlite3", "application/vnd.sqlite3")  # the same blob
    chunks = list(store.chunks(ref.sha256))
    assert len(chunks) >= 3 and max(map(len, chunks)) <= CHUNK  # never the whole blob at once
    assert b"".join(chunks) == data == store.get(ref.sha256)
    with pytest.raises(KeyError):
        store.chunks("0" * 64)

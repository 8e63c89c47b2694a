"""Restoring an old claims store never hands out an id or a business key again: before it serves, the
registry reads the log past the store's checkpoint back into it (registry_service/recovery.py).
Real parts: the registry service over gRPC, Kafka, SQLite or PostgreSQL backed up and restored with the
tools an operator uses (SQLite's online backup, pg_dump/pg_restore)."""
import shutil
import sqlite3
import subprocess
import uuid
from contextlib import closing, contextmanager

import psycopg
import pytest

from tests.support.invoices import fresh_invoice
from tests.support.postgres import postgres_bin
from tests.support.registry import submit
from ventanilla.adapters.topics import ensure_topics
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.domain.errors import ErrorKey
from tests.support.service_pki import dial

pytestmark = pytest.mark.integration


class SqliteBackups:
    """The registry's SQLite file, copied with the online backup API and put back in place."""

    def __init__(self, settings_factory, tmp_path):
        self.env = {}
        self._settings_factory, self._copy = settings_factory, tmp_path / "claims-backup.sqlite3"

    def backup(self, settings) -> None:
        with closing(sqlite3.connect(settings.path("registry", "claims.sqlite3"))) as live, \
                closing(sqlite3.connect(self._copy)) as copy:
            live.backup(copy)

    def restore(self, settings) -> dict:
        target = settings.path("registry", "claims.sqlite3")
        for side in ("-wal", "-shm"):
            target.with_name(target.name + side).unlink(missing_ok=True)
        shutil.copyfile(self._copy, target)
        return {}


class PostgresBackups:
    """The claims database dumped with pg_dump and restored with pg_restore into an empty database."""

    def __init__(self, dsn: str, tmp_path):
        self.env = {"VENTANILLA_CLAIMS_DSN": dsn}
        self._dsn, self._dump = dsn, tmp_path / "claims.dump"

    def _libpq(self, dsn: str) -> list[str]:
        return [f"--dbname={dsn}"]

    def backup(self, settings) -> None:
        subprocess.run([postgres_bin("pg_dump"), "-Fc", "-f", str(self._dump), *self._libpq(self._dsn)], check=True,
                       capture_output=True, timeout=60)

    def restore(self, settings) -> dict:
        name = f"restored_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self._dsn, autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        restored = self._dsn.rsplit("dbname=", 1)[0] + f"dbname={name}"
        subprocess.run([postgres_bin("pg_restore"), "--no-owner", *self._libpq(restored), str(self._dump)],
                       check=True, capture_output=True, timeout=60)
        return {"VENTANILLA_CLAIMS_DSN": restored}


@pytest.fixture(params=["sqlite", "postgres"])
def backups(request, settings_factory, tmp_path):
    if request.param == "sqlite":
        return SqliteBackups(settings_factory, tmp_path)
    return PostgresBackups(request.getfixturevalue("claims_dsn"), tmp_path)


@contextmanager
def registry(settings):
    """The registry service as its composition root wires it, serving on its address."""
    from registry_service.__main__ import build

    service = build(settings)
    service.start()
    try:
        yield settings.addresses.registry
    finally:
        service.stop()


def _submit(address, invoice):
    response, key = submit(address, invoice.document, nif=invoice.supplier_nif)
    return (response.invoice.id, response.receipt_csv) if response else key


def test_an_old_claims_store_restored_hands_out_no_id_or_key_again(settings_factory, backups):
    settings = settings_factory({"VENTANILLA_REQUIRE_SIGNATURE": "0", **backups.env})
    ensure_topics(settings)
    first, second, third, fourth = (fresh_invoice() for _ in range(4))
    with registry(settings) as address:
        first_id, _ = _submit(address, first)
        backups.backup(settings)  # the backup an operator will restore
        second_id, _ = _submit(address, second)
        third_id, third_csv = _submit(address, third)
    assert first_id < second_id < third_id

    restored = settings_factory({"VENTANILLA_REQUIRE_SIGNATURE": "0", **backups.env, **backups.restore(settings)})
    with registry(restored) as address:
        assert _submit(address, second) == ErrorKey.FACTURA_REPETIDA.value  # its key is known again
        fourth_id, _ = _submit(address, fourth)
        with dial(address, "registry") as channel:
            receipt = services_pb2_grpc.RegistryServiceStub(channel).GetReceipt(
                pb.ReceiptByCsv(csv=third_csv), timeout=30)
    assert fourth_id > third_id  # without the catch-up it was second_id again
    assert receipt.receipt_pdf.startswith(b"%PDF")  # the CSV came back from the sealed receipt

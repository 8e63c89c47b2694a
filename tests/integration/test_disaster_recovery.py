"""The backup and restore drill of docs/operations.md: a stack's backups restored into an empty stack give
the same answers. Backups as an operator takes them: the legal log exported (`ventanilla log export`), the
claims store copied with SQLite's online backup API before the last registration (the backup is older than
the log), the blobs copied (object-store replication). The restored stack: an empty state directory, new
topics filled by `ventanilla log import`, the old claims store and the blobs put back; the status service
rebuilds its projection from the log, the registry catches its claims up with it."""
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, contextmanager

import pytest

from tests.e2e.lifecycle import producer, state_update
from tests.support.invoices import fresh_invoice
from tests.support.registry import submit
from tests.support.stack_env import private_env
from ventanilla.adapters.topics import ensure_topics
from ventanilla.api.v1 import invoice_pb2
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.config import Settings
from ventanilla.domain.errors import ErrorKey
from tests.support.service_pki import dial

pytestmark = pytest.mark.integration


@contextmanager
def running(settings):
    """The registry and status services as their composition roots wire them."""
    from registry_service.__main__ import build as build_registry
    from status_service.__main__ import build as build_status

    services = [build_registry(settings), build_status(settings)]
    for service in services:
        service.start()
    assert services[1].wait_ready(120), "the status service did not catch up with the log"  # UNAVAILABLE until then
    try:
        yield
    finally:
        for service in reversed(services):
            service.stop()


def cli(env, *args):
    done = subprocess.run([sys.executable, "-m", "ventanilla.cli", *args], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def answers(settings, invoices) -> list:
    """What a caller is told about each invoice: the invoice, its receipt and its state."""
    with dial(settings.addresses.status, "status") as channel:
        status = services_pb2_grpc.StatusServiceStub(channel)
        found = []
        for invoice_id, invoice in invoices:
            caller = pb.Caller(nif=invoice.supplier_nif)
            found.append(status.GetInvoice(pb.InvoiceById(caller=caller, id=invoice_id), timeout=30,
                                           wait_for_ready=True))
            found.append(status.GetStates(pb.StatesByIds(caller=caller, ids=[invoice_id]), timeout=30))
        return found


def wait_for_state(settings, invoice_id, nif, state, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    with dial(settings.addresses.status, "status") as channel:
        status = services_pb2_grpc.StatusServiceStub(channel)
        while time.monotonic() < deadline:
            answer = status.GetStates(pb.StatesByIds(caller=pb.Caller(nif=nif), ids=[invoice_id]), timeout=30)
            if answer.items[0].state == state:
                return
            time.sleep(0.2)
    pytest.fail(f"invoice {invoice_id} did not reach {state}")


def test_a_stack_restored_from_its_backups_gives_identical_answers(kafka_bootstrap, tmp_path, free_ports):
    env_a = {**private_env(kafka_bootstrap, tmp_path / "a", free_ports(5), "dr-a"), "VENTANILLA_REQUIRE_SIGNATURE": "0"}
    env_b = {**private_env(kafka_bootstrap, tmp_path / "b", free_ports(5), "dr-b"), "VENTANILLA_REQUIRE_SIGNATURE": "0"}
    a, b = Settings.from_env(env_a), Settings.from_env(env_b)
    ensure_topics(a)
    invoices = [fresh_invoice() for _ in range(4)]
    registered, claims_backup = [], tmp_path / "claims-backup.sqlite3"
    with running(a):
        for index, invoice in enumerate(invoices[:3]):
            response, error = submit(a.addresses.registry, invoice.document, nif=invoice.supplier_nif)
            assert error is None
            registered.append((response.invoice.id, invoice))
            if index == 1:  # the nightly claims backup, taken before the last registration
                with closing(sqlite3.connect(a.path("registry", "claims.sqlite3"))) as live, \
                        closing(sqlite3.connect(claims_backup)) as copy:
                    live.backup(copy)
        _, value = state_update(registered[0][0], "REGISTRADA_RCF")  # a back-office message, as on the topic
        sender = producer(a)
        sender.send(a.topics.backoffice_updates, key=str(registered[0][0]).encode(), value=value).get(30)
        sender.close()
        wait_for_state(a, registered[0][0], invoices[0].supplier_nif, invoice_pb2.REGISTRADA_RCF)
        before = answers(a, registered)
        cli(env_a, "log", "export", str(tmp_path / "log.jsonl.gz"))
        shutil.copytree(a.path("blobs"), tmp_path / "blobs-replica")

    # Restore into an empty stack: new topics, an empty state directory, then the backups put back.
    ensure_topics(b)
    assert "imported" in cli(env_b, "log", "import", str(tmp_path / "log.jsonl.gz"))
    shutil.copytree(tmp_path / "blobs-replica", b.path("blobs"))
    b.path("registry").mkdir(parents=True)
    shutil.copyfile(claims_backup, b.path("registry", "claims.sqlite3"))
    with running(b):
        after = answers(b, registered)
        last = invoices[2]
        assert submit(b.addresses.registry, last.document, nif=last.supplier_nif) == \
            (None, ErrorKey.FACTURA_REPETIDA.value)
        response, error = submit(b.addresses.registry, invoices[3].document, nif=invoices[3].supplier_nif)
    assert after == before
    assert error is None and response.invoice.id > max(i for i, _ in registered)

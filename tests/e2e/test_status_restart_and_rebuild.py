"""A status service crash in the middle of a stream of updates, and `ventanilla projections rebuild`."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from ventanilla.api.v1 import backoffice_pb2, backoffice_pb2_grpc
from ventanilla.domain.events import StatusChanged

from . import lifecycle as lc
from . import soap
from .own_stack import OwnStack, own_stack
from tests.support.service_pki import dial

pytestmark = pytest.mark.e2e
PATH = ("REGISTRADA_RCF", "CONTABILIZADA", "PAGADA")


@pytest.fixture(scope="module")
def own(kafka_bootstrap, tmp_path_factory, free_ports):
    """A stack of separately controlled services on the session's broker."""
    base = tmp_path_factory.mktemp("own")
    started = own_stack({"VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "VENTANILLA_KAFKA_EXTERNAL": "1"},
                        base / "state", free_ports(5))
    try:
        yield started
    finally:
        started.stop_all()


def _history(own: OwnStack, invoice_id: int) -> backoffice_pb2.History:
    with dial(own.settings.addresses.backoffice, "status", "backoffice-gateway") as channel:
        return backoffice_pb2_grpc.BackOfficeServiceStub(channel).GetHistory(
            backoffice_pb2.HistoryRequest(invoice_id=invoice_id), timeout=30, wait_for_ready=True)


def test_a_status_crash_mid_stream_loses_nothing_and_applies_nothing_twice(own):
    invoices = [lc.register(own.settings)[0] for _ in range(6)]
    sent: dict[int, list[str]] = {i: [] for i in invoices}

    def stream():
        producer = lc.producer(own.settings)
        for state in PATH:
            for invoice_id in invoices:
                message_id, value = lc.state_update(invoice_id, state, remarks=f"{state} {invoice_id}")
                sent[invoice_id].append(message_id)
                for _ in range(2):  # every message is delivered twice
                    producer.send(own.settings.topics.backoffice_updates, key=str(invoice_id).encode(), value=value)
                producer.flush()
                time.sleep(0.2)
        producer.close()

    producing = threading.Thread(target=stream)
    producing.start()
    while lc.estado(own.settings, invoices[0])[0] == "REGISTRADA":  # something applied before the crash
        time.sleep(0.02)
    assert producing.is_alive(), "the stream ended before the crash"
    own.kill("status")
    time.sleep(0.5)
    own.start("status")
    producing.join()
    for invoice_id in invoices:
        assert lc.wait_state(own.settings, invoice_id, "PAGADA", timeout_s=90) == ("PAGADA", f"PAGADA {invoice_id}")
    log = [e for e in lc.read_all(own.settings, own.settings.topics.invoice_events)]
    refused = lc.refusals(own.settings)
    for invoice_id in invoices:
        changes = [e.message_id for e in map(_decode, log) if e.invoice_id == invoice_id and isinstance(e, StatusChanged)]
        assert changes == sent[invoice_id]
        assert [e.message_id for e in _history(own, invoice_id).entries] == [""] + sent[invoice_id]
        assert not set(sent[invoice_id]) & set(refused)


def _decode(record):
    from ventanilla.adapters.event_codec import decode
    return decode(record.value)


def _answers(own: OwnStack, ids: list[int]) -> tuple:
    group = lc.call(own.settings, "consultarGrupoEstadosFactura", "".join(f"<facturaId>{i}</facturaId>" for i in ids))
    return ([lc.factura(own.settings, i) for i in ids], soap.etree.tostring(group),
            [_history(own, i).SerializeToString() for i in ids])


def _rebuild(own: OwnStack, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ventanilla.cli", "projections", "rebuild", "--batch", "7", *options],
                          env=own.env, capture_output=True, text=True, timeout=300)


def test_projections_rebuild_gives_identical_answers(own):
    ids = [lc.register(own.settings)[0] for _ in range(4)]
    lc.cli(own.env, "backoffice", "set-state", str(ids[0]), "REGISTRADA_RCF", "--motivo", "rcf")
    lc.anular(own.settings, ids[1], "Duplicada")
    lc.cli(own.env, "backoffice", "cancellation", str(ids[1]), "reject", "--motivo", "No procede")
    lc.anular(own.settings, ids[2], "Error")
    lc.cli(own.env, "backoffice", "set-state", str(ids[3]), "RECHAZADA", "--motivo", "Sin pedido")
    lc.wait_state(own.settings, ids[3], "RECHAZADA")
    lc.wait_state(own.settings, ids[1], "REGISTRADA")
    everything = sorted({e.invoice_id for e in map(_decode, lc.read_all(own.settings, own.settings.topics.invoice_events))})
    before = _answers(own, everything)

    refused = _rebuild(own)
    assert refused.returncode == 1 and "stop it first" in refused.stderr
    store = own.settings.path("status", "projection.sqlite3")
    own.stop("status")
    old_inode = store.stat().st_ino
    events = len(lc.read_all(own.settings, own.settings.topics.invoice_events))
    rebuilt = _rebuild(own)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f": {events} events in" in rebuilt.stdout
    assert store.stat().st_ino != old_inode
    in_one = _rebuild(own, "--one-process")  # the log read in the rebuild's own process: the same store
    assert in_one.returncode == 0, in_one.stderr
    assert f": {events} events in" in in_one.stdout
    own.start("status")
    assert _answers(own, everything) == before

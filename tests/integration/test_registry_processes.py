"""VENTANILLA_REGISTRY_PROCESSES=2: two registry processes on one port behind one parent (real Kafka, SQLite
claims, mutual TLS). The same invoice submitted at once through the edge's spread channels registers once;
the edge's calls reach both processes; the parent adds up their metrics and stops them all on SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter

import pytest

from soap_edge.backends.channels import Channels
from soap_edge.backends.clients import Backends, Deadlines
from tests.integration.test_registry import registered_events
from tests.integration.test_registry_replicas import _serving
from tests.support.invoices import fresh_invoice
from tests.support.registry import FACE, signed_intake_env
from ventanilla.adapters.service_tls import opener
from ventanilla.adapters.topics import ensure_topics
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.config import Settings
from ventanilla.domain.errors import DomainError
from ventanilla.processes import alive

pytestmark = pytest.mark.integration
SIMULTANEOUS = 40
DISTINCT = 12
CHANNELS = 16  # 16 connections all hashed to one of two processes: odds 2**-15


def _edge_channels(settings: Settings) -> Channels:
    """The edge's own backends, its registry calls spread over CHANNELS channels to the one address."""
    address = settings.addresses.registry
    return Channels({"registry": address}, 64 << 20, opener(settings.service_tls, "soap-edge", {address: "registry"}),
                    spread={"registry": CHANNELS})


def _race(backends: Backends, facturae: bytes) -> tuple[Counter, set[int]]:
    barrier, outcomes, ids, lock = threading.Barrier(SIMULTANEOUS), Counter(), set(), threading.Lock()

    def one() -> None:
        barrier.wait()
        try:
            answer = backends.registry.submit(pb.Caller(nif="B23103039"), facturae, [])
        except DomainError as error:
            with lock:
                outcomes[error.key.value] += 1
            return
        with lock:
            outcomes["registered"] += 1
            ids.add(answer.invoice.id)

    threads = [threading.Thread(target=one) for _ in range(SIMULTANEOUS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes, ids


def _registered_by(log_path) -> Counter:
    """How many "registered" lines each process logged."""
    pids = Counter()
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{") and json.loads(line).get("msg") == "registered":
            pids[json.loads(line)["pid"]] += 1
    return pids


def _metric(text: str, name: str, **labels) -> float:
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name) and all(w in line for w in wanted))


def test_two_registry_processes_share_a_port_one_id_per_key_and_stop_together(
        settings_env, signing_pki, sign_invoice, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_", "PROMETHEUS_"))}
    env.update({**settings_env, **signed_intake_env(signing_pki), "VENTANILLA_REGISTRY_PROCESSES": "2"})
    settings = Settings.from_env(env)
    ensure_topics(settings)
    log_path = tmp_path / "registry.log"
    with open(log_path, "wb") as log:
        parent = subprocess.Popen([sys.executable, "-m", "registry_service"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    channels = _edge_channels(settings)
    backends = Backends(channels, Deadlines(query_s=30, write_s=120, read_your_writes_s=5))
    try:
        deadline = time.monotonic() + 90
        while not _serving(settings.addresses.registry):
            assert parent.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "registry processes not serving"
            time.sleep(0.2)

        outcomes, ids = _race(backends, sign_invoice(FACE.read_bytes()))
        assert outcomes == {"registered": 1, "facturae.error.validation.facturaRepetida": SIMULTANEOUS - 1}, \
            log_path.read_text()[-3000:]
        for _ in range(DISTINCT):
            backends.registry.submit(pb.Caller(nif="B23103039"), fresh_invoice(sign=sign_invoice).document, [])

        by_process = _registered_by(log_path)
        assert sum(by_process.values()) == 1 + DISTINCT
        assert len(by_process) == 2 and parent.pid not in by_process, by_process  # both children did work
        deadline = time.monotonic() + 30  # each child writes its values at most a flush period (1 s) late
        while True:
            with urllib.request.urlopen(f"http://{settings_env['VENTANILLA_REGISTRY_METRICS_ADDRESS']}/metrics",
                                        timeout=10) as answer:
                metrics = answer.read().decode()
            try:
                assert _metric(metrics, "ventanilla_registry_submissions_total", outcome="ok") == 1 + DISTINCT
                assert _metric(metrics, "ventanilla_registry_claim_conflicts_total") == SIMULTANEOUS - 1
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        channels.close()
        parent.send_signal(signal.SIGTERM)
        code = parent.wait(timeout=90)
    assert code == 0, log_path.read_text()[-3000:]
    assert not any(alive(pid) for pid in by_process)
    events = registered_events(settings)
    assert len(events) == 1 + DISTINCT and len({e.invoice.key.canonical() for e in events}) == 1 + DISTINCT
    assert ids <= {e.invoice_id for e in events}

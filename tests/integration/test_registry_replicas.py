"""Two registry replicas (two processes, one claims store: SQLite or PostgreSQL): 50 simultaneous
submissions, one registration, and the same after both restart."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.integration.test_registry import registered_events
from tests.support.registry import FACE, signed_intake_env, submit
from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings
from tests.support.service_pki import dial

pytestmark = pytest.mark.integration
SUBMISSIONS = 50


def _serving(address: str) -> bool:
    with dial(address, "registry") as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
        except grpc.RpcError:
            return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


class Replicas:
    """Registry processes sharing one state directory, each on its own address."""

    def __init__(self, env: dict[str, str], addresses: list[str], logs):
        self._env, self.addresses, self._processes, self._logs = env, addresses, [], logs

    def start(self) -> None:
        for index, address in enumerate(self.addresses):
            env = {**self._env, "VENTANILLA_REGISTRY_ADDRESS": address}
            with open(self._logs / f"registry-{index}.log", "ab") as log:
                self._processes.append(subprocess.Popen([sys.executable, "-m", "registry_service"], env=env,
                                                        stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 60
        while not all(map(_serving, self.addresses)):
            assert time.monotonic() < deadline, "registry replicas not serving"
            assert all(p.poll() is None for p in self._processes), "a registry replica died"
            time.sleep(0.2)

    def logs_tail(self) -> str:
        """The last lines the replicas logged, for a failure message."""
        return "\n".join(log.read_text(errors="replace")[-3000:] for log in sorted(self._logs.glob("registry-*.log")))

    def stop(self) -> None:
        for process in self._processes:
            process.send_signal(signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes = []


def _race(addresses: list[str], facturae: bytes) -> tuple[Counter, set[int]]:
    """SUBMISSIONS threads released together, alternating between replicas: outcome counts and ids."""
    barrier, outcomes, ids, lock = threading.Barrier(SUBMISSIONS), Counter(), set(), threading.Lock()

    def one(index: int) -> None:
        barrier.wait()
        answer, error = submit(addresses[index % len(addresses)], facturae, timeout=120)
        with lock:
            outcomes[error or "registered"] += 1
            if answer is not None:
                ids.add(answer.invoice.id)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(SUBMISSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes, ids


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_fifty_simultaneous_submissions_to_two_replicas_register_once_even_after_restarts(
        settings_env, signing_pki, sign_invoice, free_ports, tmp_path, request, store):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_"))}
    env.update({**settings_env, **signed_intake_env(signing_pki)})
    if store == "postgres":  # the multi-host deployment's store; SQLite is shared by replicas of one host
        env["VENTANILLA_CLAIMS_DSN"] = request.getfixturevalue("claims_dsn")
    settings = Settings.from_env(env)
    ensure_topics(settings)
    replicas = Replicas(env, [f"127.0.0.1:{port}" for port in free_ports(2)], tmp_path)
    facturae = sign_invoice(FACE.read_bytes())
    replicas.start()
    try:
        outcomes, ids = _race(replicas.addresses, facturae)
        assert outcomes == {"registered": 1, "facturae.error.validation.facturaRepetida": SUBMISSIONS - 1}, \
            replicas.logs_tail()
        replicas.stop()
        replicas.start()
        outcomes, _ = _race(replicas.addresses, facturae)
        assert outcomes == {"facturae.error.validation.facturaRepetida": SUBMISSIONS}, replicas.logs_tail()
    finally:
        replicas.stop()
    events = registered_events(settings)
    assert [e.invoice_id for e in events] == list(ids)
    assert 0 < events[0].invoice_id < 2**63

"""SIGTERM with the broker frozen: every gRPC service exits by itself within its documented stop bound."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ventanilla import devpki
from ventanilla import stack as stack_spec
from ventanilla.adapters.kafka_broker import LocalKafkaBroker
from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings
from ventanilla.processes import dying_with_parent
from ventanilla.stopping import CLOSE_S, RESERVE_S, stop_bound_s

from tests.support.stack_env import free_ports, private_env

pytestmark = pytest.mark.integration
SERVICES = tuple(s for s in stack_spec.SERVICES if s.name in ("status", "registry", "cancellation"))


def stopped(process: subprocess.Popen, timeout_s: float) -> tuple[int | None, float]:
    """SIGTERM the process; its exit status (None: still there after timeout_s) and the seconds from that SIGTERM
    to its exit, whatever the other processes do meanwhile."""
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        code = None
    return code, round(time.monotonic() - signalled, 1)


def documented_bound_s(name: str, settings: Settings) -> float:
    """The service's stop bound (docs/operations.md, "Stopping"): the grace its composition root gives, + RESERVE_S."""
    from cancellation_service.__main__ import stop_grace_s as cancellation
    from registry_service.__main__ import stop_grace_s as registry
    from status_service.__main__ import stop_grace_s as status

    return stop_bound_s({"status": status, "registry": registry, "cancellation": cancellation}[name](settings))


def test_services_stop_within_their_bound_while_the_broker_is_frozen(tmp_path):
    """kafka-python's consumer close waits its request timeout (30 s) to leave a group it cannot reach, and its
    producers' close the append timeout: the status service took 30 s to stop here (its pod's bound is 20 s).
    Tracing goes to a collector that accepts and never answers: the span flush stays inside the bound."""
    broker = LocalKafkaBroker(tmp_path / "kafka", *free_ports(2)).start(timeout_s=180)
    processes: dict[str, subprocess.Popen] = {}
    collector = socket.create_server(("127.0.0.1", 0))
    try:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_", "OTEL_"))},
               **private_env(broker.bootstrap_servers, tmp_path / "state", free_ports(5), "stop"),
               "VENTANILLA_STATUS_METRICS_ADDRESS": "off", "VENTANILLA_REGISTRY_METRICS_ADDRESS": "off",
               "VENTANILLA_CANCELLATION_METRICS_ADDRESS": "off",
               "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.getsockname()[1]}",
               "OTEL_EXPORTER_OTLP_TIMEOUT": "30"}
        settings = Settings.from_env(env)
        ensure_topics(settings)
        devpki.ensure(settings)
        for service in SERVICES:
            with open(tmp_path / f"{service.name}.log", "wb") as log:
                processes[service.name] = subprocess.Popen(
                    dying_with_parent([sys.executable, "-m", service.module]), env=env, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True)
        waiting = stack_spec.unready_after(settings, 180, lambda: all(p.poll() is None for p in processes.values()),
                                           services=SERVICES)
        assert not waiting, f"not ready: {waiting}; logs in {tmp_path}"

        os.kill(broker.process.pid, signal.SIGSTOP)
        time.sleep(1.0)  # the clients' requests are now unanswered
        with ThreadPoolExecutor(len(processes)) as pool:  # all SIGTERMed at once, each timed from its own
            ends = dict(zip(processes, pool.map(stopped, processes.values(), [60.0] * len(processes))))
        codes, seconds = ({name: end[0] for name, end in ends.items()}, {name: end[1] for name, end in ends.items()})
        logs = {name: (tmp_path / f"{name}.log").read_text(errors="replace")[-2000:] for name in processes}
        assert all(code == 0 for code in codes.values()), (codes, seconds, logs)  # not cut short by the watchdog
        assert all(seconds[name] < documented_bound_s(name, settings) for name in processes), (seconds, logs)
        # no call is under way: each stop is its consumers' and clients' closes, well within RESERVE_S
        assert all(s < RESERVE_S + CLOSE_S for s in seconds.values()), (seconds, logs)
    finally:
        collector.close()
        os.kill(broker.process.pid, signal.SIGCONT)
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        broker.stop()

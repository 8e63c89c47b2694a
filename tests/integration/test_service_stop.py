"""SIGTERM with the broker frozen: every gRPC service exits by itself within its documented stop bound."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from ventanilla import devpki
from ventanilla import stack as stack_spec
from ventanilla.adapters.kafka_broker import LocalKafkaBroker
from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings
from ventanilla.processes import die_with_parent
from ventanilla.stopping import CLOSE_S, RESERVE_S

from tests.support.stack_env import free_ports, private_env

pytestmark = pytest.mark.integration
SERVICES = tuple(s for s in stack_spec.SERVICES if s.name in ("status", "registry", "cancellation"))


def test_services_stop_within_their_bound_while_the_broker_is_frozen(tmp_path):
    """kafka-python's consumer close waits its request timeout (30 s) to leave a group it cannot reach, and its
    producers' close the append timeout: the status service took 30 s to stop here (its pod's bound is 20 s)."""
    broker = LocalKafkaBroker(tmp_path / "kafka", *free_ports(2)).start(timeout_s=180)
    processes: dict[str, subprocess.Popen] = {}
    try:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_"))},
               **private_env(broker.bootstrap_servers, tmp_path / "state", free_ports(5), "stop"),
               "VENTANILLA_STATUS_METRICS_ADDRESS": "off", "VENTANILLA_REGISTRY_METRICS_ADDRESS": "off",
               "VENTANILLA_CANCELLATION_METRICS_ADDRESS": "off"}
        settings = Settings.from_env(env)
        ensure_topics(settings)
        devpki.ensure(settings)
        for service in SERVICES:
            with open(tmp_path / f"{service.name}.log", "wb") as log:
                processes[service.name] = subprocess.Popen(
                    [sys.executable, "-m", service.module], env=env, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent())
        waiting = stack_spec.unready_after(settings, 180, lambda: all(p.poll() is None for p in processes.values()),
                                           services=SERVICES)
        assert not waiting, f"not ready: {waiting}; logs in {tmp_path}"

        os.kill(broker.process.pid, signal.SIGSTOP)
        time.sleep(1.0)  # the clients' requests are now unanswered
        started = time.monotonic()
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        # no call is under way: each stop is its consumers' and clients' closes, well within RESERVE_S
        seconds, codes = {}, {}
        for name, process in processes.items():
            try:
                codes[name] = process.wait(timeout=max(0.0, started + 60 - time.monotonic()))
            except subprocess.TimeoutExpired:
                codes[name] = None
            seconds[name] = round(time.monotonic() - started, 1)
        logs = {name: (tmp_path / f"{name}.log").read_text(errors="replace")[-2000:] for name in processes}
        assert all(code == 0 for code in codes.values()), (codes, seconds, logs)  # not cut short by the watchdog
        assert all(s < RESERVE_S + CLOSE_S for s in seconds.values()), (seconds, logs)
    finally:
        os.kill(broker.process.pid, signal.SIGCONT)
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        broker.stop()

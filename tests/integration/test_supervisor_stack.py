"""`ventanilla up|down|run` against the real services: readiness, ordered shutdown, one failure stops all."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from ventanilla import stack
from ventanilla.config import Settings
from ventanilla.processes import alive
from ventanilla.runtime import GRPC_EXPERIMENTS

pytestmark = pytest.mark.integration


def _environment(settings_env: dict[str, str], **changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_"))}
    env.update(settings_env)
    for name, value in changes.items():
        env.pop(name, None) if value is None else env.__setitem__(name, value)
    return env


def _ventanilla(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ventanilla.cli", *args], env=env, capture_output=True,
                          text=True, timeout=240)


def _started_pids(output: str) -> dict[str, int]:
    """The pids the supervisor logged as started, by child name."""
    pids = {}
    for line in output.splitlines():
        if line.startswith("{") and '"msg": "started"' in line:
            entry = json.loads(line)
            pids[entry["child"]] = entry["pid"]
    return pids


def _stopping_order(output: str) -> list[str]:
    return [json.loads(line)["child"] for line in output.splitlines()
            if line.startswith("{") and '"msg": "stopping"' in line]


def _environ(pid: int) -> dict[str, str]:
    """A running process's environment as it was started."""
    with open(f"/proc/{pid}/environ", "rb") as raw:
        return dict(entry.decode().split("=", 1) for entry in raw.read().split(b"\0") if b"=" in entry)


def test_up_returns_when_every_service_is_ready_and_down_stops_them_all(settings_env):
    env = _environment(settings_env, GRPC_EXPERIMENTS=None)  # the services get grpc's settings from the supervisor
    settings = Settings.from_env(env)

    pids: dict[str, int] = {}
    up = _ventanilla(env, "up", "--timeout", "120")
    try:
        assert up.returncode == 0, up.stderr
        assert stack.unready_after(settings, timeout_s=30) == []  # probes retried: CI is noisy
        assert f"{settings.edge.url}?wsdl" in up.stdout and settings.addresses.registry in up.stdout
        pids = _started_pids(settings.path("logs", "run.log").read_text())
        assert set(pids) == {service.name for service in stack.SERVICES}
        assert {name: _environ(pid).get("GRPC_EXPERIMENTS") for name, pid in pids.items()} == {
            service.name: GRPC_EXPERIMENTS for service in stack.SERVICES}
        assert "Unknown experiment" not in settings.path("logs", "run.log").read_text()
        again = _ventanilla(env, "up")  # finds the running stack and returns at once
        assert again.returncode == 0 and again.stdout.splitlines()[0] == up.stdout.splitlines()[0]
    finally:
        down = _ventanilla(env, "down")
    assert down.returncode == 0, down.stderr
    assert not any(alive(pid) for pid in pids.values())
    assert stack.unready(settings) == [service.name for service in stack.SERVICES]
    assert "not running" in _ventanilla(env, "down").stdout


def test_run_on_sigint_stops_services_first_then_its_broker_and_exits_0(settings_env, free_ports, tmp_path):
    kafka_port, controller_port = free_ports(2)
    env = _environment(settings_env, VENTANILLA_KAFKA_EXTERNAL=None, VENTANILLA_KAFKA_BOOTSTRAP_SERVERS=None,
                       VENTANILLA_KAFKA_PORT=str(kafka_port), VENTANILLA_KAFKA_CONTROLLER_PORT=str(controller_port))
    settings = Settings.from_env(env)
    output = tmp_path / "run.out"
    with open(output, "wb") as sink:
        run = subprocess.Popen([sys.executable, "-m", "ventanilla.cli", "run"], env=env, stdout=sink,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "ventanilla  | ready" not in output.read_text() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert stack.unready_after(settings, timeout_s=30) == [], output.read_text()  # probes retried: CI is noisy
        run.send_signal(signal.SIGINT)
        assert run.wait(120) == 0, output.read_text()
    finally:
        run.kill() if run.poll() is None else None
    text = output.read_text()
    assert _stopping_order(text) == ["backoffice-gateway", "portal", "soap-edge", "cancellation", "status", "registry", "kafka"]
    assert not any(alive(pid) for pid in _started_pids(text).values())
    assert "kafka       | " in text


def test_run_stops_everything_and_fails_when_a_service_dies(settings_env):
    env = _environment(settings_env)
    settings = Settings.from_env(env)
    host, port = settings.addresses.registry.rsplit(":", 1)
    with socket.socket() as squatter:  # the registry cannot bind its port, so it exits at once
        squatter.bind((host, int(port)))
        squatter.listen()
        started = time.monotonic()
        run = _ventanilla(env, "run")
    assert run.returncode == 1
    assert time.monotonic() - started < 60
    output = run.stdout + run.stderr
    assert "a child ended unexpectedly" in output and '"child": "registry"' in output
    assert '"msg": "cannot bind"' in output and f'"address": "{settings.addresses.registry}"' in output
    assert "Traceback" not in output  # one structured line says why, not a stack trace
    assert not any(alive(pid) for pid in _started_pids(run.stderr).values())

"""A stack whose services the test starts and stops one by one (the supervisor restarts nothing)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ventanilla import devpki
from ventanilla import stack as stack_spec
from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings
from ventanilla.processes import dying_with_parent, stop_popen

from tests.support import dev_back_office
from tests.support.stack_env import private_env

from . import soap as soap_client

SELLER = "B23103039"  # the seller of the sample these stacks register: it may submit and see its invoices

@dataclass
class OwnStack:
    """Settings, environment and the service processes, by name."""

    settings: Settings
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    own_env: dict[str, dict[str, str]] = field(default_factory=dict)  # what one service adds to env

    def start(self, name: str, timeout_s: float = 120.0) -> None:
        """Start one service (registry, status, cancellation, soap-edge) and wait until it is ready."""
        service = next(s for s in stack_spec.SERVICES if s.name == name)
        with open(self.logs / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen(
                dying_with_parent([sys.executable, "-m", service.module]), env={**self.env, **self.own_env.get(name, {})}, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        waiting = stack_spec.unready_after(self.settings, timeout_s, lambda: self.processes[name].poll() is None,
                                           services=(service,))
        assert not waiting, f"{name} not ready; see {self.logs / f'{name}.log'}"

    def stop(self, name: str) -> int:
        """SIGTERM one service and wait for it."""
        return stop_popen(self.processes.pop(name), 20.0)

    def kill(self, name: str) -> int:
        """SIGKILL one service: a crash."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()

    def stop_all(self) -> None:
        """Stop every service, the edge first."""
        for name in reversed(list(self.processes)):
            self.stop(name)


def own_stack(env_base: dict[str, str], state_dir: Path, ports: list[int],
              own_env: dict[str, dict[str, str]] | None = None) -> OwnStack:
    """Settings with fresh topics and free ports; topics created; every service started (with own_env's additions)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_"))}
    env.update(private_env(env_base["VENTANILLA_KAFKA_BOOTSTRAP_SERVERS"], state_dir, ports, "own"))
    env.update(env_base)
    env.update({
        "PYTHONUNBUFFERED": "1",
        "VENTANILLA_REQUIRE_SIGNATURE": "0",  # these stacks test the status service; signatures: tests/e2e/conftest
    })
    settings = Settings.from_env(env)
    ensure_topics(settings)
    devpki.ensure(settings)  # the edge's server certificate and the readiness probe's client certificate
    client = state_dir / "clients" / SELLER
    devpki.client(settings, SELLER, client)
    soap_client.use_client_certificate(settings.edge.url, (str(client / "client.pem"), str(client / "client.key.pem")),
                                str(client / "ca.pem"))
    logs = state_dir.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = OwnStack(settings, env, logs, own_env=own_env or {})
    try:
        for service in stack_spec.SERVICES:
            started.start(service.name)
        dev_back_office.enrol(env)  # `ventanilla backoffice` acts as this back office, through the gateway
    except BaseException:
        started.stop_all()
        raise
    return started

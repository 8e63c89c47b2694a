"""A whole stack for benchmarks: `ventanilla up` on free loopback ports with its own Kafka, state in a temp dir."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ventanilla.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def free_ports(count: int) -> list[int]:
    """Distinct TCP ports free on 127.0.0.1 right now."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(closing(socket.socket())) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


@dataclass(frozen=True)
class BenchStack:
    """A running stack: its settings and environment."""

    settings: Settings
    env: dict[str, str]

    @property
    def soap_url(self) -> str:
        return self.settings.soap_url


def _ventanilla(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ventanilla.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def bench_env(state_dir: Path, **overrides: str) -> dict[str, str]:
    """VENTANILLA_* variables for a private stack on free loopback ports (Kafka supervised by `run`)."""
    kafka, controller, registry, status, cancellation, soap = free_ports(6)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_"))}
    env.update({
        "VENTANILLA_STATE_DIR": str(state_dir),
        "VENTANILLA_KAFKA_PORT": str(kafka),
        "VENTANILLA_KAFKA_CONTROLLER_PORT": str(controller),
        "VENTANILLA_REGISTRY_ADDRESS": f"127.0.0.1:{registry}",
        "VENTANILLA_STATUS_ADDRESS": f"127.0.0.1:{status}",
        "VENTANILLA_CANCELLATION_ADDRESS": f"127.0.0.1:{cancellation}",
        "VENTANILLA_SOAP_HOST": "127.0.0.1",
        "VENTANILLA_SOAP_PORT": str(soap),
        "VENTANILLA_LOG_LEVEL": "WARNING",  # no access log line per request during load
        "VENTANILLA_REQUIRE_SIGNATURE": "0",  # the edge is measured here; bench_registry.py measures signed intake
        **overrides,
    })
    return env


@contextmanager
def running_stack(**overrides: str) -> Iterator[BenchStack]:
    """`ventanilla up` a private stack; `ventanilla down` it afterwards, whatever happens."""
    with tempfile.TemporaryDirectory(prefix="ventanilla-bench-") as state:
        env = bench_env(Path(state) / "state", **overrides)
        up = _ventanilla(env, "up", "--timeout", "240")
        try:
            if up.returncode != 0:
                raise RuntimeError(f"`ventanilla up` failed:\n{up.stdout}\n{up.stderr}")
            yield BenchStack(Settings.from_env(env), env)
        finally:
            _ventanilla(env, "down")

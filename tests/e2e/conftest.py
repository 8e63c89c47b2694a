"""A whole Ventanilla stack for end-to-end tests, started with `ventanilla up` as an operator would."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from ventanilla.adapters.topics import TOPICS
from ventanilla.config import Settings

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SAMPLES = SHARED / "reference" / "facturae" / "samples"


@dataclass(frozen=True)
class Stack:
    """A running stack: its settings, environment and SOAP endpoints."""

    settings: Settings
    env: dict[str, str]

    @property
    def soap_url(self) -> str:
        """The SOAP endpoint."""
        return self.settings.soap_url

    @property
    def wsdl_url(self) -> str:
        """The WSDL the edge publishes."""
        return f"{self.settings.soap_url}?wsdl"


def _ventanilla(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ventanilla.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="session")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, free_ports) -> Iterator[Stack]:
    """Start every service against the session's broker; stop them at the end of the session."""
    registry, status, cancellation, soap, backoffice = free_ports(5)
    suffix = uuid.uuid4().hex[:12]
    defaults = Settings.from_env({})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_"))}
    env.update({
        "VENTANILLA_STATE_DIR": str(tmp_path_factory.mktemp("stack") / "state"),
        "VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "VENTANILLA_KAFKA_EXTERNAL": "1",
        "VENTANILLA_REGISTRY_ADDRESS": f"127.0.0.1:{registry}",
        "VENTANILLA_STATUS_ADDRESS": f"127.0.0.1:{status}",
        "VENTANILLA_CANCELLATION_ADDRESS": f"127.0.0.1:{cancellation}",
        "VENTANILLA_BACKOFFICE_ADDRESS": f"127.0.0.1:{backoffice}",
        "VENTANILLA_SOAP_HOST": "127.0.0.1",
        "VENTANILLA_SOAP_PORT": str(soap),
    })
    env.update({spec.name_variable: f"{spec.name(defaults)}.e2e-{suffix}" for spec in TOPICS})
    env.update({"VENTANILLA_BACKOFFICE_GROUP": f"{defaults.backoffice_group}.e2e-{suffix}",
                "VENTANILLA_NOTICES_GROUP": f"{defaults.notices_group}.e2e-{suffix}"})
    up = _ventanilla(env, "up", "--timeout", "180")
    settings = Settings.from_env(env)
    if up.returncode != 0:
        _ventanilla(env, "down")
        pytest.fail(f"`ventanilla up` failed:\n{up.stdout}\n{up.stderr}", pytrace=False)
    try:
        yield Stack(settings, env)
    finally:
        down = _ventanilla(env, "down")
        assert down.returncode == 0, down.stderr


@pytest.fixture
def sample():
    """The bytes of a public sample invoice, by path below the samples directory."""
    return lambda relative: (SAMPLES / relative).read_bytes()

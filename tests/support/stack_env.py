"""A private stack's VENTANILLA_* variables (own state, free ports, topics and groups); free_ports (tests/support/ports.py)."""
from __future__ import annotations

import uuid
from pathlib import Path

from ventanilla.adapters.topics import TOPICS
from ventanilla.config import METRICS_PROCESSES, Settings
from tests.support.ports import free_ports
from tests.support.service_pki import service_tls_env


def metrics_env() -> dict[str, str]:
    """A free loopback port for each process's /metrics."""
    ports = free_ports(len(METRICS_PROCESSES))
    return {f"VENTANILLA_{prefix}_METRICS_ADDRESS": f"127.0.0.1:{port}"
            for (prefix, _default), port in zip(METRICS_PROCESSES.values(), ports)}


def private_env(kafka_bootstrap: str | None, state_dir: Path, ports: list[int], label: str) -> dict[str, str]:
    """Variables for a stack: ports = registry, status, cancellation, soap, backoffice.

    With kafka_bootstrap the stack uses that broker; without, `ventanilla run` starts its own (the caller
    then sets VENTANILLA_KAFKA_PORT and VENTANILLA_KAFKA_CONTROLLER_PORT).
    """
    registry, status, cancellation, soap, backoffice = ports
    defaults, suffix = Settings.from_env({}), f"{label}-{uuid.uuid4().hex[:12]}"
    gateway, gateway_health = free_ports(2)
    env = {
        "VENTANILLA_STATE_DIR": str(state_dir),
        "VENTANILLA_REGISTRY_ADDRESS": f"127.0.0.1:{registry}",
        "VENTANILLA_STATUS_ADDRESS": f"127.0.0.1:{status}",
        "VENTANILLA_CANCELLATION_ADDRESS": f"127.0.0.1:{cancellation}",
        "VENTANILLA_BACKOFFICE_ADDRESS": f"127.0.0.1:{backoffice}",
        "VENTANILLA_SOAP_HOST": "127.0.0.1",
        "VENTANILLA_SOAP_PORT": str(soap),
        "VENTANILLA_PORTAL_PORT": str(free_ports(1)[0]),
        "VENTANILLA_BACKOFFICE_GATEWAY_ADDRESS": f"127.0.0.1:{gateway}",
        "VENTANILLA_BACKOFFICE_GATEWAY_HEALTH_ADDRESS": f"127.0.0.1:{gateway_health}",
        "VENTANILLA_BACKOFFICE_GROUP": f"{defaults.status_groups.backoffice}.{suffix}",
        "VENTANILLA_NOTICES_GROUP": f"{defaults.status_groups.notices}.{suffix}",
    }
    env.update(service_tls_env())  # the services' mutual TLS: one internal PKI per test session
    # tests that play a back office by producing to its topic directly (load, recovery, benchmarks): the
    # security suite turns the gateway-stamp requirement back on
    env["VENTANILLA_BACKOFFICE_REQUIRE_SENDER"] = "0"
    env.update({spec.name_variable: f"{spec.name(defaults)}.{suffix}" for spec in TOPICS})
    env.update(metrics_env())
    if kafka_bootstrap is not None:
        env.update(VENTANILLA_KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap, VENTANILLA_KAFKA_EXTERNAL="1")
    return env

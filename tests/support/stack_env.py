"""The VENTANILLA_* variables of a private stack: own state, free ports, topics and groups of its own."""
from __future__ import annotations

import uuid
from pathlib import Path

from ventanilla.adapters.topics import TOPICS
from ventanilla.config import Settings


def private_env(kafka_bootstrap: str, state_dir: Path, ports: list[int], label: str) -> dict[str, str]:
    """Variables for a stack on the given broker: ports = registry, status, cancellation, soap, backoffice."""
    registry, status, cancellation, soap, backoffice = ports
    defaults, suffix = Settings.from_env({}), f"{label}-{uuid.uuid4().hex[:12]}"
    env = {
        "VENTANILLA_STATE_DIR": str(state_dir),
        "VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "VENTANILLA_KAFKA_EXTERNAL": "1",
        "VENTANILLA_REGISTRY_ADDRESS": f"127.0.0.1:{registry}",
        "VENTANILLA_STATUS_ADDRESS": f"127.0.0.1:{status}",
        "VENTANILLA_CANCELLATION_ADDRESS": f"127.0.0.1:{cancellation}",
        "VENTANILLA_BACKOFFICE_ADDRESS": f"127.0.0.1:{backoffice}",
        "VENTANILLA_SOAP_HOST": "127.0.0.1",
        "VENTANILLA_SOAP_PORT": str(soap),
        "VENTANILLA_BACKOFFICE_GROUP": f"{defaults.backoffice_group}.{suffix}",
        "VENTANILLA_NOTICES_GROUP": f"{defaults.notices_group}.{suffix}",
    }
    env.update({spec.name_variable: f"{spec.name(defaults)}.{suffix}" for spec in TOPICS})
    return env

"""Process settings, read once from VENTANILLA_* environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw not in (None, "") else default


def _str(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name)
    return raw if raw not in (None, "") else default


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Everything a Ventanilla process can be told; sane local defaults."""

    state_dir: Path
    kafka_bootstrap_servers: str
    kafka_port: int
    kafka_controller_port: int
    kafka_heap: str
    invoice_events_topic: str
    invoice_events_partitions: int
    backoffice_updates_topic: str
    backoffice_feedback_topic: str
    invoices_registered_topic: str
    backoffice_partitions: int
    backoffice_group: str
    notices_group: str
    backoffice_address: str
    topic_replication_factor: int
    registry_address: str
    status_address: str
    cancellation_address: str
    soap_host: str
    soap_port: int
    soap_path: str
    soap_workers: int
    max_body_bytes: int
    group_max_items: int
    soap_grpc_deadline_s: float
    read_your_writes_timeout_s: float
    log_level: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from the environment (os.environ by default)."""
        env = os.environ if env is None else env
        kafka_port = _int(env, "VENTANILLA_KAFKA_PORT", 9092)
        return cls(
            state_dir=Path(_str(env, "VENTANILLA_STATE_DIR", "var")).resolve(),
            kafka_bootstrap_servers=_str(
                env, "VENTANILLA_KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{kafka_port}"
            ),
            kafka_port=kafka_port,
            kafka_controller_port=_int(env, "VENTANILLA_KAFKA_CONTROLLER_PORT", kafka_port + 1),
            kafka_heap=_str(env, "VENTANILLA_KAFKA_HEAP", "640m"),
            invoice_events_topic=_str(env, "VENTANILLA_INVOICE_EVENTS_TOPIC", "ventanilla.invoice-events.v1"),
            invoice_events_partitions=_int(env, "VENTANILLA_INVOICE_EVENTS_PARTITIONS", 6),
            backoffice_updates_topic=_str(env, "VENTANILLA_BACKOFFICE_UPDATES_TOPIC", "ventanilla.backoffice-updates.v1"),
            backoffice_feedback_topic=_str(env, "VENTANILLA_BACKOFFICE_FEEDBACK_TOPIC",
                                           "ventanilla.backoffice-feedback.v1"),
            invoices_registered_topic=_str(env, "VENTANILLA_INVOICES_REGISTERED_TOPIC",
                                           "ventanilla.invoices-registered.v1"),
            backoffice_partitions=_int(env, "VENTANILLA_BACKOFFICE_PARTITIONS", 6),
            backoffice_group=_str(env, "VENTANILLA_BACKOFFICE_GROUP", "ventanilla-status-backoffice-intake"),
            notices_group=_str(env, "VENTANILLA_NOTICES_GROUP", "ventanilla-status-notices"),
            backoffice_address=_str(env, "VENTANILLA_BACKOFFICE_ADDRESS", "127.0.0.1:50054"),
            topic_replication_factor=_int(env, "VENTANILLA_TOPIC_REPLICATION_FACTOR", 1),
            registry_address=_str(env, "VENTANILLA_REGISTRY_ADDRESS", "127.0.0.1:50051"),
            status_address=_str(env, "VENTANILLA_STATUS_ADDRESS", "127.0.0.1:50052"),
            cancellation_address=_str(env, "VENTANILLA_CANCELLATION_ADDRESS", "127.0.0.1:50053"),
            soap_host=_str(env, "VENTANILLA_SOAP_HOST", "127.0.0.1"),
            soap_port=_int(env, "VENTANILLA_SOAP_PORT", 8080),
            soap_path=_str(env, "VENTANILLA_SOAP_PATH", "/ws/v2/FacturaService"),
            soap_workers=_int(env, "VENTANILLA_SOAP_WORKERS", 2),
            max_body_bytes=_int(env, "VENTANILLA_MAX_BODY_BYTES", 8 * 1024 * 1024),
            group_max_items=_int(env, "VENTANILLA_GROUP_MAX_ITEMS", 500),
            soap_grpc_deadline_s=_float(env, "VENTANILLA_SOAP_GRPC_DEADLINE_S", 15.0),
            read_your_writes_timeout_s=_float(env, "VENTANILLA_READ_YOUR_WRITES_TIMEOUT_S", 5.0),
            log_level=_str(env, "VENTANILLA_LOG_LEVEL", "INFO"),
        )

    @property
    def soap_url(self) -> str:
        """The SOAP endpoint URL this process serves or calls."""
        return f"http://{self.soap_host}:{self.soap_port}{self.soap_path}"

    def path(self, *parts: str) -> Path:
        """A path under the local state directory."""
        return self.state_dir.joinpath(*parts)

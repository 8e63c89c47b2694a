"""Is a Kafka broker there? A TCP check, then an admin request."""
from __future__ import annotations

import socket

from ventanilla.adapters import kafka_clients


def accepts_requests(bootstrap: str, timeout_s: float = 3.0) -> bool:
    """Whether a broker at bootstrap answers an admin request (list topics)."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    if not listening(host.strip("[]"), int(port)):
        return False
    try:
        admin = kafka_clients.admin(bootstrap, client_id="ventanilla-probe",
                                 bootstrap_timeout_ms=int(timeout_s * 1000), request_timeout_ms=int(timeout_s * 1000))
    except Exception:  # noqa: BLE001 - any failure means "not yet"
        return False
    try:
        admin.list_topics()
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        admin.close()


def listening(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at host:port."""
    try:
        socket.create_connection((host, port), timeout=1.0).close()
        return True
    except OSError:
        return False

"""Default ports lie below Linux's ephemeral range (32768-60999), where an outgoing connection made a moment
earlier could take a listener's port at start-up; the Kubernetes manifests use the same ports."""
from __future__ import annotations

import re
from pathlib import Path

from ventanilla.config import Settings

BASE = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes" / "base"
EPHEMERAL_START = 32768  # Linux's default ip_local_port_range is 32768-60999


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def default_ports() -> dict[str, int]:
    s = Settings.from_env({})
    return {"registry": _port(s.addresses.registry), "status": _port(s.addresses.status),
            "cancellation": _port(s.addresses.cancellation), "backoffice": _port(s.addresses.backoffice),
            "soap": s.edge.port, "kafka": s.local_broker.port, "kafka controller": s.local_broker.controller_port}


def test_every_default_port_is_below_the_ephemeral_range():
    ports = default_ports()
    assert all(port < EPHEMERAL_START for port in ports.values()), ports
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    assert not [name for name, port in ports.items() if low <= port <= high], (low, high, ports)


def test_the_manifests_listen_and_call_on_the_default_ports():
    """Kubernetes (base) and compose: no port in the ephemeral range; the gRPC services on their defaults."""
    deploy = BASE.parents[1]
    text = "\n".join(path.read_text() for path in [*sorted(BASE.glob("*.yaml")), BASE / "config.env",
                                                    deploy / "compose.yaml"] if path.exists())
    numbers = re.findall(r"(?:containerPort|port)\s*:\s*(\d+)", text)
    numbers += re.findall(r"_ADDRESS(?:=|:|, value:)\s*\"?[\w.:/-]*?:(\d+)\b", text)
    used = {int(n) for n in numbers}
    assert not [port for port in used if EPHEMERAL_START <= port <= 60999], sorted(used)
    defaults = default_ports()
    assert {defaults[name] for name in ("registry", "status", "cancellation", "backoffice")} <= used, sorted(used)

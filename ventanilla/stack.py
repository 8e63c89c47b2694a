"""The local stack as data: the services `ventanilla run` starts and how each tells it is ready."""
from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from typing import Callable

from ventanilla.config import Settings


def dialable(address: str) -> str:
    """An address a local client can dial: a wildcard bind address becomes loopback."""
    host, _, port = address.rpartition(":")
    return f"127.0.0.1:{port}" if host in ("", "0.0.0.0", "[::]", "::") else address


@dataclass(frozen=True)
class GrpcHealth:
    """Ready when the standard gRPC health service (service "") at a settings address says SERVING."""

    address_of: Callable[[Settings], str]
    service: str = ""  # the service answering there over mutual TLS (settings.service_tls); "": a plaintext port

    def target(self, settings: Settings) -> str:
        """The address probed."""
        return dialable(self.address_of(settings))

    def __call__(self, settings: Settings, timeout_s: float = 3.0) -> bool:
        """Probe once."""
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        from ventanilla.adapters.service_tls import channel as service_channel

        tls = settings.service_tls if self.service else replace(settings.service_tls, enabled=False)
        with service_channel(tls, "health-probe", self.service, self.target(settings)) as channel:
            try:
                answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""),
                                                                   timeout=timeout_s)
            except grpc.RpcError:
                return False
        return answer.status == health_pb2.HealthCheckResponse.SERVING


def probe_context(settings: Settings) -> ssl.SSLContext | None:
    """TLS for probing the edge: its client CA bundle as trust anchors, the probe's client certificate."""
    if settings.edge.plain_http:
        return None
    context = ssl.create_default_context(cafile=str(settings.edge.client_ca))
    context.load_cert_chain(str(settings.edge.probe_client_cert), str(settings.edge.probe_client_key))
    return context


@dataclass(frozen=True)
class HttpReady:
    """Ready when GET <soap host>:<soap port><path> answers 200 (over TLS with the probe's certificate)."""

    path: str = "/readyz"

    def target(self, settings: Settings) -> str:
        """The URL probed."""
        scheme = "http" if settings.edge.plain_http else "https"
        return f"{scheme}://{dialable(f'{settings.edge.host}:{settings.edge.port}')}{self.path}"

    def __call__(self, settings: Settings, timeout_s: float = 5.0) -> bool:
        """Probe once (the edge itself waits up to 2 s for its backends' health)."""
        try:
            context = probe_context(settings)
            with urllib.request.urlopen(self.target(settings), timeout=timeout_s, context=context) as answer:
                return answer.status == 200
        except (OSError, urllib.error.URLError, ssl.SSLError):
            return False


@dataclass(frozen=True)
class PortalReady:
    """Ready when GET <portal>/healthz answers 200 over TLS (the dev CA as trust anchor)."""

    def target(self, settings: Settings) -> str:
        """The URL probed."""
        return f"https://{dialable(f'{settings.portal.host}:{settings.portal.port}')}/healthz"

    def __call__(self, settings: Settings, timeout_s: float = 5.0) -> bool:
        """Probe once."""
        try:
            context = ssl.create_default_context(cafile=str(settings.portal.client_ca))
            context.check_hostname = False  # probed by address; the certificate chain is still verified
            with urllib.request.urlopen(self.target(settings), timeout=timeout_s, context=context) as answer:
                return answer.status == 200
        except (OSError, urllib.error.URLError, ssl.SSLError):
            return False


@dataclass(frozen=True)
class Service:
    """A service of the stack: its name, the module `python -m` runs, its readiness probe."""

    name: str
    module: str
    probe: Callable[[Settings], bool]


REGISTRY_HEALTH = GrpcHealth(lambda settings: settings.addresses.registry, "registry")
STATUS_HEALTH = GrpcHealth(lambda settings: settings.addresses.status, "status")
CANCELLATION_HEALTH = GrpcHealth(lambda settings: settings.addresses.cancellation, "cancellation")
GATEWAY_HEALTH = GrpcHealth(lambda settings: settings.gateway.health_address)  # plaintext, health only

SERVICES: tuple[Service, ...] = (
    Service("registry", "registry_service", REGISTRY_HEALTH),
    Service("status", "status_service", STATUS_HEALTH),
    Service("cancellation", "cancellation_service", CANCELLATION_HEALTH),
    Service("soap-edge", "soap_edge", HttpReady()),
    Service("portal", "portal_service", PortalReady()),
    Service("backoffice-gateway", "backoffice_gateway", GATEWAY_HEALTH),
)


def unready(settings: Settings, services: tuple[Service, ...] = SERVICES) -> list[str]:
    """The names of the services that do not report ready now."""
    return [service.name for service in services if not service.probe(settings)]


def unready_after(settings: Settings, timeout_s: float, keep_waiting: Callable[[], bool] = lambda: True,
                  services: tuple[Service, ...] = SERVICES) -> list[str]:
    """The services still unready after polling until all are ready, the deadline passes or keep_waiting() is false."""
    deadline = time.monotonic() + timeout_s
    while (waiting := unready(settings, services)) and keep_waiting() and time.monotonic() < deadline:
        time.sleep(0.25)
    return waiting


def endpoints(settings: Settings) -> str:
    """A short, human-readable list of the stack's endpoints."""
    rows = [("SOAP", settings.edge.url), ("WSDL", f"{settings.edge.url}?wsdl"),
            ("portal", f"{settings.portal.public_url}/ (integrators; log in with `ventanilla dev-pki client` "
                       "or `dev-pki staff` certificates)")]
    rows += [(s.name, f"{s.probe.target(settings)} (gRPC)") for s in SERVICES
             if isinstance(s.probe, GrpcHealth) and s.name != "backoffice-gateway"]
    rows.append(("back office", f"{dialable(settings.addresses.backoffice)} (gRPC, internal; served by status)"))
    rows.append(("gateway", f"{dialable(settings.gateway.address)} (back offices: gRPC over mutual TLS; "
                            "`ventanilla dev-pki backoffice`, docs/backoffice.md)"))
    rows.append(("Kafka", settings.kafka.bootstrap_servers))
    return "\n".join(f"{label:<13}{value}" for label, value in rows)

"""Composition root of the back-office gateway: directory follower, revocation watch, outbox, status client, mTLS gRPC
server."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

import grpc

from ventanilla.adapters.client_revocation import watched
from ventanilla.adapters.clock import SystemClock
from ventanilla.adapters.directory_follower import DirectoryFollower
from ventanilla.adapters.grpc_server import GrpcServer, exit_when_unbound, run_until_signalled, stop_servers
from ventanilla.adapters.publisher import Publisher
from ventanilla.api.v1 import backoffice_pb2_grpc
from ventanilla.config import GatewaySettings, Settings
from ventanilla.logs import configure_logging
from ventanilla.observability.process import Observability
from ventanilla.stopping import StopBudget, close_all, stop_bound_s
from backoffice_gateway.adapters import KafkaOutbox, StatusBackOffice
from backoffice_gateway.grpc_api import GatewayApi
from backoffice_gateway.handlers import Gateway

log = logging.getLogger("backoffice_gateway")


def stop_grace_s(settings: Settings) -> float:
    """How long a stopping gateway lets the calls under way finish: the status query deadline its calls wait at most
    (docs/operations.md, "Stopping")."""
    return settings.deadlines.query_s


def server_credentials(gateway: GatewaySettings) -> grpc.ServerCredentials:
    """TLS with the gateway's certificate; client certificates required and verified against the client CA."""
    return grpc.ssl_server_credentials([(gateway.tls_key.read_bytes(), gateway.tls_cert.read_bytes())],
                                       root_certificates=gateway.client_ca.read_bytes(), require_client_auth=True)


class FollowerDirectory:
    """The Directory port over a DirectoryFollower."""

    def __init__(self, follower: DirectoryFollower):
        self.follower = follower

    def ready(self) -> bool:
        return self.follower.ready()

    def credential(self, fingerprint, now):
        return self.follower.store.credential(fingerprint, now)


@dataclass
class GatewayProcess:
    """The wired gateway: the directory follows its topic; the servers start once it has caught up."""

    directory: object
    servers: list[GrpcServer]
    ready_timeout_s: float
    closeables: list = field(default_factory=list)  # each close(timeout_s)
    grace_s: float = 15.0  # stop_grace_s
    failed: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        """Follow the integrators topic, wait until caught up (invariant 8), then serve."""
        follower = getattr(self.directory, "follower", None)
        if follower is not None:
            follower.start()
        deadline = time.monotonic() + self.ready_timeout_s
        while not self.directory.ready():
            if time.monotonic() > deadline:
                raise SystemExit("the integrators directory did not catch up with its topic in time")
            time.sleep(0.05)
        for server in self.servers:
            server.start()

    def stop(self, budget: StopBudget | None = None) -> None:
        """Within the budget (stop_bound_s): refuse new calls and let those under way finish (grace_s), then stop
        following and release the clients, each closer given what is left of the budget."""
        budget = budget or StopBudget(stop_bound_s(self.grace_s))
        stop_servers(list(reversed(self.servers)), budget, self.grace_s)
        follower = getattr(self.directory, "follower", None)
        closers = [closeable.close for closeable in self.closeables]
        close_all(closers + ([follower.stop] if follower is not None else []), budget)


def build(settings: Settings, observability: Observability | None = None, *,
          overrides: dict | None = None) -> GatewayProcess:
    """Wire the gateway from settings; `overrides` replaces adapters by name (directory, outbox, back_office,
    clock, credentials)."""
    o, g = overrides or {}, settings.gateway
    obs = observability or Observability.quiet("backoffice-gateway")
    directory = o.get("directory") or FollowerDirectory(DirectoryFollower(
        settings.kafka.bootstrap_servers, settings.topics.integrator_events, "backoffice-gateway-directory",
        settings.kafka.security))
    closeables = []
    outbox = o.get("outbox")
    if outbox is None:
        outbox = KafkaOutbox(Publisher(settings.kafka.bootstrap_servers, "backoffice-gateway",
                                       settings.kafka.append_timeout_s, security=settings.kafka.security,
                                       watch=obs.produce_watch()),
                             settings.topics.backoffice_updates)
        closeables.append(outbox)
    back_office = o.get("back_office")
    if back_office is None:
        back_office = StatusBackOffice(settings.service_tls, settings.addresses.backoffice, settings.deadlines.query_s,
                                       obs.channel)
        closeables.append(back_office)
    revocation = watched(g.client_revocation, g.client_revocation_period_s, g.client_ca, settings.trust.crls,
                         settings.trust.revocation_fetch)  # gRPC Python's server credentials take no CRL: checked here
    if revocation is not None:
        closeables.append(revocation)
    api = GatewayApi(Gateway(directory, outbox, back_office, o.get("clock") or SystemClock(), revocation,
                             refusals=obs.metrics.gateway_refusals))
    servers = [
        GrpcServer(g.health_address, []),  # plaintext, health only: Kubernetes' gRPC probes cannot present a certificate
        GrpcServer(g.address, [lambda s: backoffice_pb2_grpc.add_BackOfficeGatewayServicer_to_server(api, s)],
                   credentials=o.get("credentials") or server_credentials(g),
                   # traces, metrics, and a back office's x-request-id riding on to Kafka
                   interceptors=tuple(obs.server_interceptors())),
    ]
    return GatewayProcess(directory, servers, g.ready_timeout_s, closeables, stop_grace_s(settings))


def _exit_when_the_directory_fails(process: GatewayProcess) -> None:
    follower = getattr(process.directory, "follower", None)
    if follower is None:
        return

    def watch() -> None:
        follower.failed.wait()
        log.error("the integrators directory stopped: stopping so that the gateway is restarted")
        process.failed.set()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="directory-watch", daemon=True).start()


def main() -> None:
    """Run the gateway until SIGINT or SIGTERM."""
    settings = Settings.from_env()
    configure_logging("backoffice-gateway", settings.log_level)
    observability = Observability.from_env("backoffice-gateway")
    with exit_when_unbound():
        process = build(settings, observability)
    process.start()
    observability.serve()
    _exit_when_the_directory_fails(process)
    log.info("serving", extra={"address": settings.gateway.address, "health_address": settings.gateway.health_address})
    run_until_signalled(process.stop, stop_bound_s(stop_grace_s(settings)), observability.close)
    if process.failed.is_set():
        sys.exit(1)


if __name__ == "__main__":
    main()

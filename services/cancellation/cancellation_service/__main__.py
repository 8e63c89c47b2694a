"""Composition root of the cancellation service."""
from __future__ import annotations

import logging
from functools import partial
from dataclasses import dataclass

import grpc

from ventanilla.adapters.append_health import AppendHealth, TopicProbe, stop_watching
from ventanilla.adapters.clock import SystemClock
from ventanilla.adapters.event_log import EventLog, append_worst_case_s
from ventanilla.adapters.grpc_server import (RECONNECT_OPTIONS, GrpcServer, balancing, exit_when_unbound,
                                             run_until_signalled, stop_servers)
from ventanilla.adapters.service_tls import channel as service_channel, server_options
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.config import Settings
from ventanilla.logs import configure_logging
from ventanilla.observability.process import Observability
from ventanilla.stopping import StopBudget, close_all, stop_bound_s
from cancellation_service.grpc_api import CancellationApi
from cancellation_service.handlers import Canceller

log = logging.getLogger("cancellation")


@dataclass
class CancellationService:
    """The wired service: event log producer, status client, gRPC server, the watch on appends behind its health."""

    events: EventLog
    channel: grpc.Channel
    server: GrpcServer
    health: AppendHealth
    probe: TopicProbe
    canceller: Canceller
    write_deadline_s: float = 50.0

    def start(self) -> None:
        """Start serving; health says SERVING only while appends can succeed."""
        self.server.start(serving=False)
        self.health.start()

    def stop(self, budget: StopBudget | None = None) -> None:
        """Within the budget (stop_bound_s): refuse new calls, let cancellations under way finish (each answers
        within the write deadline), then release the clients."""
        budget = budget or StopBudget(stop_bound_s(self.write_deadline_s))
        stop_servers([self.server], budget, self.write_deadline_s)
        close_all([partial(stop_watching, self.health, self.probe), self.events.close], budget)
        self.channel.close()


def stop_grace_s(settings: Settings) -> float:
    """How long a stopping cancellation service lets the cancellations under way finish: the write deadline, within
    which each answers (docs/operations.md, "Stopping")."""
    return settings.deadlines.write_s


def status_call_s(settings: Settings) -> float:
    """The deadline of each call to the status service (it waits for its projection to catch up first)."""
    return settings.deadlines.read_your_writes_s + 5


def worst_case_s(settings: Settings) -> float:
    """The longest a cancellation can take: read the invoice, append, read it again."""
    return 2 * status_call_s(settings) + append_worst_case_s(settings.kafka.append_timeout_s)


def build(settings: Settings, observability: Observability | None = None, *,
          overrides: dict | None = None) -> CancellationService:
    """Wire the cancellation service from settings; `overrides` replaces ports by name (log, clock)."""
    o = overrides or {}
    obs = observability or Observability.quiet("cancellation")
    events = o.get("log") or EventLog(settings.kafka.bootstrap_servers, settings.topics.invoice_events, "cancellation",
                                      settings.kafka.append_timeout_s, obs.produce_watch())
    canceller = Canceller(events, o.get("clock") or SystemClock())
    channel = service_channel(settings.service_tls, "cancellation", "status", settings.addresses.status,
                              [*RECONNECT_OPTIONS, *balancing(settings.addresses.lb_policy)])
    api = CancellationApi(
        canceller,
        services_pb2_grpc.StatusServiceStub(obs.channel(channel)),
        timeout_s=status_call_s(settings),
        counted=obs.metrics.cancellation_requests,
    )
    server = GrpcServer(
        settings.addresses.cancellation,
        [lambda s: services_pb2_grpc.add_CancellationServiceServicer_to_server(api, s)],
        **server_options(settings.service_tls, "cancellation", tuple(obs.server_interceptors())))
    probe = TopicProbe(settings.kafka.bootstrap_servers, settings.topics.invoice_events)
    health = AppendHealth(lambda: events.ready, probe, server.set_serving)
    return CancellationService(events, channel, server, health, probe, canceller, stop_grace_s(settings))


def main() -> None:
    """Run the cancellation service until SIGINT or SIGTERM."""
    settings = Settings.from_env()
    configure_logging("cancellation", settings.log_level)
    observability = Observability.from_env("cancellation")
    with exit_when_unbound():
        service = build(settings, observability)
    service.start()
    observability.serve()
    log.info("serving", extra={"address": settings.addresses.cancellation})
    run_until_signalled(service.stop, stop_bound_s(stop_grace_s(settings)), observability.close)


if __name__ == "__main__":
    main()

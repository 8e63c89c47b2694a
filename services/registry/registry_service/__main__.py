"""Composition root of the registry service."""
from __future__ import annotations

import logging
from functools import partial
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from ventanilla.adapters.append_health import AppendHealth, TopicProbe, stop_watching
from ventanilla.adapters.blob_store import open_blob_store
from ventanilla.adapters.clock import SystemClock
from ventanilla.adapters.event_log import EventLog, append_worst_case_s
from ventanilla.adapters.log_lookup import RegistrationLookup
from ventanilla.adapters.grpc_server import GrpcServer, exit_when_unbound, run_until_signalled, stop_servers
from ventanilla.adapters.service_tls import server_options
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.config import Settings
from ventanilla.logs import configure_logging
from ventanilla.observability.certificates import observe_expiry
from ventanilla.observability.process import Observability
from ventanilla.stopping import StopBudget, close_all, stop_bound_s
from registry_service import processes
from registry_service.attachments import AttachmentLimits
from registry_service.grpc_api import ANSWER_MARGIN_S, RegistryApi
from registry_service.claiming import Timing
from registry_service.handlers import Registrar
from registry_service.metering import Metering
from registry_service.receipt import ReceiptIssuer
from registry_service.recovery import ClaimsCatchUp
from registry_service.wiring import build_claims, build_intake, build_seal, build_sede

log = logging.getLogger("registry")
CATCH_UP_INTERVAL_S = 300.0  # how old the log checkpoint in a claims backup can be
READ_BACK_S = 4.0  # at least one read-back of the log after a failed append, within the deadline


@dataclass
class RegistryService:
    """The wired service: the event log producer, a gRPC server, the claims catch-up with the log, and the
    watch on appends behind its health."""

    events: EventLog
    server: GrpcServer
    catch_up: ClaimsCatchUp
    health: AppendHealth
    probe: TopicProbe
    registrar: Registrar
    write_deadline_s: float = 50.0
    stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        """Catch the claims up with the log (ids and keys registered after a restored backup), then serve;
        health says SERVING only while appends can succeed."""
        self.catch_up()
        self.catch_up.every(CATCH_UP_INTERVAL_S, self.stopping)
        self.server.start(serving=False)
        self.health.start()

    def stop(self, budget: StopBudget | None = None) -> None:
        """Within the budget (stop_bound_s): refuse new calls, let registrations under way finish (each answers
        within the write deadline), then flush the producer and release the probe."""
        budget = budget or StopBudget(stop_bound_s(self.write_deadline_s))
        self.stopping.set()
        stop_servers([self.server], budget, self.write_deadline_s)
        close_all([partial(stop_watching, self.health, self.probe), self.events.close], budget)


def stop_grace_s(settings: Settings) -> float:
    """How long a stopping registry lets the registrations under way finish: the write deadline, within which each
    answers (docs/operations.md, "Stopping"; a parent of VENTANILLA_REGISTRY_PROCESSES waits a child's bound + 1 s)."""
    return settings.deadlines.write_s


def timing(settings: Settings) -> Timing:
    """The registry's stages nested in the edge's deadline for enviarFactura (VENTANILLA_WRITE_DEADLINE_S)."""
    return Timing(budget_s=settings.deadlines.write_s - ANSWER_MARGIN_S,
                  reserve_s=append_worst_case_s(settings.kafka.append_timeout_s) + READ_BACK_S,
                  lease=timedelta(seconds=settings.deadlines.write_s + 30))


def build(settings: Settings, observability: Observability | None = None, *,
          overrides: dict | None = None) -> RegistryService:
    """Wire the registry service from settings (the claims store first: a wrong one stops it at once);
    `overrides` replaces ports by name (log, lookup, claims, blobs, clock: tests assemble the use case with fakes)."""
    o = overrides or {}
    obs = observability or Observability.quiet("registry")
    metering = Metering(obs.metrics)
    observe_expiry(obs.metrics.certificate_expiry, "receipt_seal", settings.registry.seal_cert)
    observe_expiry(obs.metrics.certificate_expiry, "signature_trust", settings.trust.store)
    claims = o.get("claims") or build_claims(settings)
    blobs = o.get("blobs") or open_blob_store(settings)
    events = o.get("log") or EventLog(settings.kafka.bootstrap_servers, settings.topics.invoice_events, "registry",
                                      settings.kafka.append_timeout_s, obs.produce_watch())
    clock = o.get("clock") or SystemClock()
    registrar = Registrar(
        build_intake(settings),
        claims,
        blobs,
        events,
        ReceiptIssuer(build_seal(settings), build_sede(settings), clock),
        clock,
        AttachmentLimits(settings.registry.max_attachments, settings.registry.max_attachment_bytes),
        o.get("lookup") or RegistrationLookup(settings.kafka.bootstrap_servers, settings.topics.invoice_events),
        timing(settings),
        third_party_billers=settings.registry.third_party_billers,
        observe_stage=metering.stage,
    )
    api = RegistryApi(registrar, metering.submission)
    server = GrpcServer(
        settings.addresses.registry, [lambda s: services_pb2_grpc.add_RegistryServiceServicer_to_server(api, s)],
        # VENTANILLA_REGISTRY_PROCESSES children share the port; a lone process fails on a taken one
        share_port=settings.registry.processes > 1, **server_options(settings.service_tls, "registry", tuple(obs.server_interceptors())))
    catch_up = ClaimsCatchUp(claims, blobs, settings.kafka.bootstrap_servers, settings.topics.invoice_events)
    probe = TopicProbe(settings.kafka.bootstrap_servers, settings.topics.invoice_events)
    health = AppendHealth(lambda: events.ready, probe, server.set_serving)
    return RegistryService(events, server, catch_up, health, probe, registrar, stop_grace_s(settings))


def main() -> None:
    """Run the registry service until SIGINT or SIGTERM: this process, or VENTANILLA_REGISTRY_PROCESSES children
    of it sharing the port."""
    settings = Settings.from_env()
    configure_logging("registry", settings.log_level)
    volumes = {"blobs": settings.blobs.directory, "claims": settings.path("registry")}
    if settings.registry.processes > 1 and not processes.is_child():
        raise SystemExit(processes.RegistryProcesses(settings, settings.registry.processes, volumes).run())
    observability = (Observability.worker("registry") if processes.is_child()
                     else Observability.from_env("registry", volumes))
    with exit_when_unbound():
        service = build(settings, observability)
    service.start()
    observability.serve()
    log.info("serving", extra={"address": settings.addresses.registry})
    run_until_signalled(service.stop, stop_bound_s(stop_grace_s(settings)), observability.close)


if __name__ == "__main__":
    main()

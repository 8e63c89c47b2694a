"""Composition root of the registry service."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from ventanilla.adapters.append_health import AppendHealth, TopicProbe
from ventanilla.adapters.blob_store import DirectoryBlobStore
from ventanilla.adapters.clock import SystemClock
from ventanilla.adapters.event_log import EventLog, append_worst_case_s
from ventanilla.adapters.log_lookup import RegistrationLookup
from ventanilla.adapters.grpc_server import GrpcServer, run_until_signalled
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.config import Settings
from ventanilla.logs import configure_logging
from registry_service.attachments import AttachmentLimits
from registry_service.grpc_api import ANSWER_MARGIN_S, RegistryApi
from registry_service.claiming import Timing
from registry_service.handlers import Registrar
from registry_service.receipt import ReceiptIssuer
from registry_service.wiring import build_claims, build_intake, build_seal

log = logging.getLogger("registry")
ISSUER = "Ventanilla – Punto General de Entrada de Facturas Electrónicas"
READ_BACK_S = 4.0  # at least one read-back of the log after a failed append, within the deadline


@dataclass
class RegistryService:
    """The wired service: the event log producer, a gRPC server, and the watch on appends behind its health."""

    events: EventLog
    server: GrpcServer
    health: AppendHealth
    probe: TopicProbe

    def start(self) -> None:
        """Start serving; health says SERVING only while appends can succeed."""
        self.server.start(serving=False)
        self.health.start()

    def stop(self) -> None:
        """Stop serving, then flush the producer."""
        self.health.stop()
        self.server.stop()
        self.events.close()
        self.probe.close()


def timing(settings: Settings) -> Timing:
    """The registry's stages nested in the edge's deadline for enviarFactura (VENTANILLA_WRITE_DEADLINE_S)."""
    return Timing(budget_s=settings.write_deadline_s - ANSWER_MARGIN_S,
                  reserve_s=append_worst_case_s(settings.kafka_append_timeout_s) + READ_BACK_S,
                  lease=timedelta(seconds=settings.write_deadline_s + 30))


def build(settings: Settings) -> RegistryService:
    """Wire the registry service from settings."""
    events = EventLog(settings.kafka_bootstrap_servers, settings.invoice_events_topic, "registry",
                      settings.kafka_append_timeout_s)
    registrar = Registrar(
        build_intake(settings),
        build_claims(settings),
        DirectoryBlobStore(settings.path("blobs")),
        events,
        ReceiptIssuer(build_seal(settings), ISSUER),
        SystemClock(),
        AttachmentLimits(settings.max_attachments, settings.max_attachment_bytes),
        RegistrationLookup(settings.kafka_bootstrap_servers, settings.invoice_events_topic),
        timing(settings),
        third_party_billers=settings.third_party_billers,
    )
    api = RegistryApi(registrar)
    server = GrpcServer(
        settings.registry_address, [lambda s: services_pb2_grpc.add_RegistryServiceServicer_to_server(api, s)]
    )
    probe = TopicProbe(settings.kafka_bootstrap_servers, settings.invoice_events_topic)
    return RegistryService(events, server, AppendHealth(lambda: events.ready, probe, server.set_serving), probe)


def main() -> None:
    """Run the registry service until SIGINT or SIGTERM."""
    settings = Settings.from_env()
    configure_logging("registry", settings.log_level)
    service = build(settings)
    service.start()
    log.info("serving", extra={"address": settings.registry_address})
    run_until_signalled(service.stop)


if __name__ == "__main__":
    main()

"""Composition root of the registry service."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from ventanilla.adapters.blob_store import open_blob_store
from ventanilla.adapters.clock import SystemClock
from ventanilla.adapters.event_log import EventLog
from ventanilla.adapters.log_lookup import RegistrationLookup
from ventanilla.adapters.grpc_server import GrpcServer, run_until_signalled
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.config import Settings
from ventanilla.logs import configure_logging
from registry_service.attachments import AttachmentLimits
from registry_service.grpc_api import RegistryApi
from registry_service.handlers import Registrar
from registry_service.receipt import ReceiptIssuer
from registry_service.recovery import ClaimsCatchUp
from registry_service.wiring import build_claims, build_intake, build_seal, build_sede

log = logging.getLogger("registry")
CATCH_UP_INTERVAL_S = 300.0  # how old the log checkpoint in a claims backup can be


@dataclass
class RegistryService:
    """The wired service: the event log producer, a gRPC server, the claims' catch-up with the log."""

    events: EventLog
    server: GrpcServer
    catch_up: ClaimsCatchUp
    stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        """Catch the claims up with the log (ids and keys registered after a restored backup), then serve."""
        self.catch_up()
        self.catch_up.every(CATCH_UP_INTERVAL_S, self.stopping)
        self.server.start()

    def stop(self) -> None:
        """Stop serving, then flush the producer."""
        self.stopping.set()
        self.server.stop()
        self.events.close()


def build(settings: Settings) -> RegistryService:
    """Wire the registry service from settings (the claims store first: a wrong one stops it at once)."""
    claims = build_claims(settings)
    blobs = open_blob_store(settings)
    events = EventLog(settings.kafka_bootstrap_servers, settings.invoice_events_topic, "registry",
                      settings.kafka_append_timeout_s)
    clock = SystemClock()
    registrar = Registrar(
        build_intake(settings),
        claims,
        blobs,
        events,
        ReceiptIssuer(build_seal(settings), build_sede(settings), clock),
        clock,
        AttachmentLimits(settings.max_attachments, settings.max_attachment_bytes),
        RegistrationLookup(settings.kafka_bootstrap_servers, settings.invoice_events_topic),
        timedelta(seconds=2 * settings.kafka_append_timeout_s + 30),
        third_party_billers=settings.third_party_billers,
    )
    api = RegistryApi(registrar)
    server = GrpcServer(
        settings.registry_address, [lambda s: services_pb2_grpc.add_RegistryServiceServicer_to_server(api, s)]
    )
    catch_up = ClaimsCatchUp(claims, blobs, settings.kafka_bootstrap_servers, settings.invoice_events_topic)
    return RegistryService(events, server, catch_up)


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

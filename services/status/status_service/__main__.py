"""Composition root of the status service: projection, catch-up, gRPC API."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from ventanilla.adapters.blob_store import DirectoryBlobStore
from ventanilla.adapters.grpc_server import GrpcServer, run_until_signalled
from ventanilla.adapters.projection_store import ProjectionStore
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.config import Settings
from ventanilla.logs import configure_logging
from status_service.catch_up import CatchUp
from status_service.grpc_api import StatusApi
from status_service.handlers import Queries
from status_service.projector import Projector

log = logging.getLogger("status")


def _end_offsets_reader(settings: Settings):
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, client_id="status-end-offsets")
    lock = threading.Lock()

    def end_offsets() -> dict[int, int]:
        with lock:
            partitions = consumer.partitions_for_topic(settings.invoice_events_topic) or set()
            tps = [TopicPartition(settings.invoice_events_topic, p) for p in partitions]
            return {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}

    return end_offsets


@dataclass
class StatusService:
    """The wired service: a projector thread and a gRPC server."""

    projector: Projector
    server: GrpcServer

    def start(self) -> None:
        """Start consuming and serving."""
        threading.Thread(target=self.projector.run, name="projector", daemon=True).start()
        self.server.start()

    def stop(self) -> None:
        """Stop serving, then stop consuming."""
        self.server.stop()
        self.projector.stop()


def build(settings: Settings) -> StatusService:
    """Wire the status service from settings."""
    store = ProjectionStore(settings.path("status", "projection.sqlite3"))
    catch_up = CatchUp(
        _end_offsets_reader(settings),
        store.positions(settings.invoice_events_topic),
        settings.read_your_writes_timeout_s,
    )
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id="status-projector",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=500,
    )
    projector = Projector(consumer, store, settings.invoice_events_topic, catch_up)
    queries = Queries(store, DirectoryBlobStore(settings.path("blobs")), catch_up)
    api = StatusApi(queries)
    server = GrpcServer(settings.status_address, [lambda s: services_pb2_grpc.add_StatusServiceServicer_to_server(api, s)])
    return StatusService(projector, server)


def main() -> None:
    """Run the status service until SIGINT or SIGTERM."""
    settings = Settings.from_env()
    configure_logging("status", settings.log_level)
    service = build(settings)
    service.start()
    log.info("serving", extra={"address": settings.status_address})
    run_until_signalled(service.stop)


if __name__ == "__main__":
    main()

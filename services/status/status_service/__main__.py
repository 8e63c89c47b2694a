"""Composition root of the status service: projection, catch-up, back-office intake, notices, gRPC APIs."""
from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field

from kafka import KafkaConsumer

from ventanilla.adapters import kafka_clients

from ventanilla.adapters.blob_store import open_blob_store, open_snapshot_store
from ventanilla.adapters.catch_up import CatchUp, beginning_offsets, end_offsets_reader
from ventanilla.adapters.clock import SystemClock
from ventanilla.adapters.directory_follower import DirectoryFollower
from ventanilla.adapters.event_codec import decode_facts
from ventanilla.adapters.event_log import EventLog
from ventanilla.adapters.grpc_server import GrpcServer, ReadyGate, exit_when_unbound, run_until_signalled, stop_servers
from ventanilla.adapters.projection_store import ProjectionStore
from ventanilla.adapters.projector import Projector
from ventanilla.adapters.publisher import Publisher
from ventanilla.adapters.service_tls import server_options
from ventanilla.api.v1 import backoffice_pb2_grpc, services_pb2_grpc
from ventanilla.config import Settings
from ventanilla.logs import configure_logging
from ventanilla import runtime
from ventanilla.stopping import CLOSE_S, StopBudget, close_all, stop_bound_s
from ventanilla.observability.consume import ConsumeWatch, ProjectionWatch
from ventanilla.observability.process import Observability
from status_service.backoffice_api import BackOfficeApi
from status_service.backoffice_messages import FeedbackTopic, sender_of, translate
from status_service.group_loop import GroupLoop
from status_service.grpc_api import StatusApi
from status_service.handlers import Queries
from status_service.backoffice_intake import BackOfficeIntake
from status_service.metering import MeteredProgress
from status_service.notices import Notifier
from status_service.startup import NOT_READY, StartupCatchUp, seed_from_snapshot

log = logging.getLogger("status")


def stop_grace_s(settings: Settings) -> float:
    """How long a stopping replica lets the queries under way finish: their whole deadline, so that a rolling
    restart never cuts one (its client would see CANCELLED); new ones are refused at once (docs/operations.md)."""
    return settings.deadlines.query_s


def _group_consumer(settings: Settings, group: str, client_id: str, max_records: int,
                    fetching: dict = kafka_clients.FOLLOWING) -> KafkaConsumer:
    """A consumer of a group; `fetching`: how long the broker may hold its fetches (kafka_clients)."""
    static = {"group_instance_id": settings.status_groups.instance_id} if settings.status_groups.instance_id else {}
    session_ms = settings.status_groups.session_timeout_ms
    return kafka_clients.consumer(settings.kafka.bootstrap_servers, security=settings.kafka.security,
                                  client_id=client_id, group_id=group, enable_auto_commit=False,
                                  auto_offset_reset="earliest", max_poll_records=max_records,
                                  session_timeout_ms=session_ms, heartbeat_interval_ms=min(3000, session_ms // 3),
                                  reconnect_backoff_max_ms=1000, **static, **fetching)


@dataclass
class StatusService:
    """The wired service: projector and group loops in threads, one gRPC server for the status and back-office APIs."""

    projector: Projector
    loops: list[GroupLoop]
    servers: list[GrpcServer]
    startup: StartupCatchUp
    store: ProjectionStore
    catch_up: CatchUp
    closeables: list = field(default_factory=list)
    seeded: str = "not asked"  # what became of the snapshot a new replica may start from
    intake: BackOfficeIntake | None = None
    queries: Queries | None = None
    directory: DirectoryFollower | None = None
    grace_s: float = 15.0  # stop_grace_s
    failed: threading.Event = field(default_factory=threading.Event)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _fatal_on_error(self, target):
        """A consumer that dies must not leave the service answering from a stale projection."""
        def run() -> None:
            try:
                target()
            except BaseException:
                log.exception("a consumer thread died; stopping the service so that it is restarted")
                self.failed.set()
                os.kill(os.getpid(), signal.SIGTERM)
        return run

    def start(self) -> None:
        """Start consuming; serve UNAVAILABLE (health NOT_SERVING) until caught up with the log as of now."""
        if self.directory is not None:
            self.directory.start()
        targets = [self.projector.run] + [loop.run for loop in self.loops]
        for index, target in enumerate(targets):
            thread = threading.Thread(target=self._fatal_on_error(target), name=f"consumer-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        for server in self.servers:
            server.start(serving=False)
        threading.Thread(target=self.startup.run, args=(self._stopping,), name="startup", daemon=True).start()

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait until the replica answers (caught up with the log as of its start); False on timeout."""
        return self.startup.ready.wait(timeout_s)

    def stop(self, budget: StopBudget | None = None) -> None:
        """Within the budget (stop_bound_s): refuse new calls and let those under way finish (grace_s) while the
        consumers end (the group loops leave their groups), then close the Kafka clients."""
        budget = budget or StopBudget(stop_bound_s(self.grace_s))
        self._stopping.set()
        for loop in self.loops:
            loop.stop()
        self.projector.stop()
        stop_servers(list(reversed(self.servers)), budget, self.grace_s)
        consumers = StopBudget(budget.left(CLOSE_S))  # they have been ending since the servers began to stop
        for thread in self._threads:
            thread.join(timeout=consumers.left())
        closers = [closeable.close for closeable in self.closeables]
        close_all(closers + ([self.directory.stop] if self.directory is not None else []), budget)


def build(settings: Settings, observability: Observability | None = None, *,
          overrides: dict | None = None) -> StatusService:
    """Wire the status service from settings (metrics nobody scrapes and no tracing unless observability is given);
    `overrides` replaces ports by name (log, blobs, clock, end_offsets: where the log ends, what catching up
    means, and beginning_offsets: where it begins, checked against a snapshot's positions)."""
    o = overrides or {}
    obs = observability or Observability.quiet("status")
    metrics, tracer = obs.metrics, obs.tracer("ventanilla.status") if obs.tracing.enabled else None
    blobs = o.get("blobs") or open_blob_store(settings)
    end_offsets = o.get("end_offsets") or end_offsets_reader(
        settings.kafka.bootstrap_servers, settings.topics.invoice_events, "status-end-offsets",
        settings.deadlines.read_your_writes_s)
    beginning = o.get("beginning_offsets") or functools.partial(
        beginning_offsets, settings.kafka.bootstrap_servers, settings.topics.invoice_events, "status-log-start",
        settings.deadlines.read_your_writes_s)
    seeded = seed_from_snapshot(settings, o.get("blobs") or open_snapshot_store(settings), end_offsets, beginning)
    store = ProjectionStore(settings.path("status", "projection.sqlite3"))
    catch_up = CatchUp(end_offsets, store.positions(settings.topics.invoice_events), settings.deadlines.read_your_writes_s)
    servers: list[GrpcServer] = []
    startup = StartupCatchUp(end_offsets, catch_up, lambda: [server.set_serving(True) for server in servers])
    consumer = kafka_clients.consumer(settings.kafka.bootstrap_servers, security=settings.kafka.security,
                                      client_id="status-projector",
                             group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
                             max_poll_records=5000, reconnect_backoff_max_ms=1000, **kafka_clients.FOLLOWING)  # catch-up: large transactions
    projector = Projector(consumer, store, settings.topics.invoice_events, catch_up, decode_facts,
                          ProjectionWatch("status", metrics, tracer), replay_until=startup.ready)
    watch = obs.produce_watch()
    events = o.get("log") or EventLog(settings.kafka.bootstrap_servers, settings.topics.invoice_events, "status-intake",
                                      settings.kafka.append_timeout_s, watch)
    feedback = Publisher(settings.kafka.bootstrap_servers, "status-feedback", watch=watch)
    notices = Publisher(settings.kafka.bootstrap_servers, "status-notices", linger_ms=5, watch=watch)
    directory = DirectoryFollower(settings.kafka.bootstrap_servers, settings.topics.integrator_events,
                                  "status-directory", settings.kafka.security)  # who owns which DIR3 unit
    intake = BackOfficeIntake(store, events, FeedbackTopic(feedback, settings.topics.backoffice_feedback), catch_up,
                    o.get("clock") or SystemClock(), translate, sender_of,
                    owners=directory, require_sender=settings.status_groups.backoffice_require_sender,
                    counted=metrics.backoffice_messages)
    loops = [
        GroupLoop(_group_consumer(settings, settings.status_groups.backoffice, "status-intake", 50),
                  settings.topics.backoffice_updates, intake, "intake", after=startup.ready,
                  watch=ConsumeWatch("intake", metrics, tracer)),
        GroupLoop(_group_consumer(settings, settings.status_groups.notices, "status-notices", 500, kafka_clients.BATCHED),
                  settings.topics.invoice_events,
                  Notifier(notices, settings.topics.invoices_registered, directory, metrics.notices_published),
                  "notices", after=startup.ready, watch=ConsumeWatch("notices", metrics, tracer)),
    ]
    reads = MeteredProgress(catch_up, metrics.catch_up_wait, metrics.catch_up_timeouts)  # readers' waits only
    queries = Queries(store, blobs, reads)
    status_api = StatusApi(queries, metrics.group_query_items)
    backoffice_api = BackOfficeApi(store, blobs, reads)
    gate = (*obs.server_interceptors(), ReadyGate(startup.ready, NOT_READY))
    # one server for both APIs, on their two ports: a second grpc server costs the queries a poller thread's share of
    # their I/O (docs/benchmarks.md); which caller may call which API stays CallerCheck's, by method. Its pool has the
    # threads of the two servers it replaces.
    servers.append(
        GrpcServer(settings.addresses.status,
                   [lambda s: services_pb2_grpc.add_StatusServiceServicer_to_server(status_api, s),
                    lambda s: backoffice_pb2_grpc.add_BackOfficeServiceServicer_to_server(backoffice_api, s)],
                   workers=32, more_addresses={"back-office gRPC server": settings.addresses.backoffice},
                   **server_options(settings.service_tls, "status", gate)))
    return StatusService(projector, loops, servers, startup, store, catch_up, [events, feedback, notices],
                         intake=intake, queries=queries, directory=directory, seeded=seeded,
                         grace_s=stop_grace_s(settings))


def main() -> None:
    """Run the status service until SIGINT or SIGTERM."""
    settings = Settings.from_env()
    configure_logging("status", settings.log_level)
    runtime.tune(settings.runtime)
    observability = Observability.from_env("status", {"projection": settings.path("status")})
    with exit_when_unbound():
        service = build(settings, observability)
    service.start()  # not frozen (runtime.settle): measured harmful here, docs/benchmarks.md
    observability.serve()
    log.info("serving", extra={"address": settings.addresses.status, "backoffice_address": settings.addresses.backoffice})
    run_until_signalled(service.stop, stop_bound_s(stop_grace_s(settings)), observability.close)
    if service.failed.is_set():
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Composition root of the SOAP edge: `python -m soap_edge` serves it with gunicorn."""
from __future__ import annotations

import os

import spyne.const

from ventanilla.adapters.directory_follower import DirectoryFollower
from ventanilla.adapters.service_tls import opener
from ventanilla.config import MetricsSettings, Settings
from ventanilla.logs import configure_logging
from ventanilla import runtime
from ventanilla.observability.certificates import observe_expiry
from ventanilla.observability.process import Observability
from ventanilla.observability.wsgi import ServerSpans

from soap_edge.backends.channels import Channels, OpenChannel
from soap_edge.backends.clients import Backends, Batching
from soap_edge.backends.receipts import HeldReceipts
from soap_edge.http.body import LargeBodies
from soap_edge.http.front import Front
from soap_edge.http.memory import limit_malloc_arenas
from soap_edge.http.metering import Metering
from soap_edge.http.server import EdgeServer
from soap_edge.identity import revocation
from soap_edge.identity.access import Access, OpenAccess, RegisteredAccess
from soap_edge.identity.proxy import networks
from soap_edge.soap.app import SoapApp
from soap_edge.soap.operations import Operations

MALLOC_ARENAS = 2  # measured: 12 uploads of 7 MB through one slot, ~60 MB over idle; ~145 MB with glibc's 16


def build(settings: Settings, *, open_channel: OpenChannel | None = None,
          observability: Observability | None = None):
    """Wire the edge: backends (channels open on first use), operations, spyne, the HTTP front (traced when
    OTEL_* ask: server spans, attributes only when sampled)."""
    obs = observability or Observability.quiet("soap-edge")
    observe_expiry(obs.metrics.certificate_expiry, "edge_tls", settings.edge.tls_cert)
    observe_expiry(obs.metrics.certificate_expiry, "client_ca", settings.edge.client_ca)
    # spyne runs a full gc.collect() after any request at most once a second, because its request
    # contexts are cyclic: tens of milliseconds with the GIL held, a stall for every thread of the
    # worker. Small requests leave small cycles to Python's generational collector; LargeBodies
    # collects after each large body, whose cycles hold megabytes.
    spyne.const.MIN_GC_INTERVAL = float("inf")
    limit_malloc_arenas(MALLOC_ARENAS)
    open_channel = open_channel or opener(settings.service_tls, "soap-edge", {
        settings.addresses.registry: "registry", settings.addresses.status: "status",
        settings.addresses.cancellation: "cancellation"})
    channels = Channels(
        {"registry": settings.addresses.registry, "status": settings.addresses.status,
         "cancellation": settings.addresses.cancellation},
        max_message_bytes=2 * settings.edge.max_body_bytes + 1024 * 1024,
        open_channel=lambda address, **options: obs.channel(open_channel(address, **options)),
        lb_policy=settings.addresses.lb_policy,
        spread={"registry": settings.edge.registry_channels},
    )
    # writes wait longer than queries: every stage behind them (claim, blobs, the log's acks) must fit
    batching = Batching(obs.tracing.enabled,
                        obs.metrics.observer("state_batch_queries"),
                        linger_s=settings.edge.state_batch_linger_ms / 1000)
    backends = Backends(channels, settings.deadlines, batching,
                        HeldReceipts(int(settings.edge.receipt_cache_mb * 1024 * 1024)))
    access = revocation.configured(settings, edge_access(settings))
    soap = SoapApp(Operations(backends, settings.edge.group_max_items, access))
    large = LargeBodies(settings.edge.large_body_memory_mb * 1024 * 1024, settings.edge.max_body_bytes,
                        wait_s=settings.edge.request_timeout_s)
    front = Front(soap, backends, settings.edge.path, settings.edge.max_body_bytes, large,
                  networks(settings.edge.trusted_proxies), access, Metering(obs.metrics))
    return ServerSpans(front, obs.tracing.provider) if obs.tracing.enabled else front


def edge_access(settings: Settings) -> Access:
    """The configured access mode; `registered` follows the integrators topic in this process (one per worker)."""
    if settings.edge.access_mode == "open":
        return OpenAccess()
    directory = DirectoryFollower(settings.kafka.bootstrap_servers, settings.topics.integrator_events,
                                  f"soap-edge-directory-{os.getpid()}", settings.kafka.security)
    directory.start()
    return RegisteredAccess(directory.store.credential, directory.ready)


def main() -> None:
    """Serve the edge until SIGINT or SIGTERM."""
    settings = Settings.from_env()
    configure_logging("soap-edge", settings.log_level)
    runtime.tune(settings.runtime)  # the workers inherit it at fork
    EdgeServer(settings, worker_app, MetricsSettings.from_env("soap-edge")).run()


def worker_app(settings: Settings):
    """One worker's edge, built after the fork; what it built is then out of the collector's sight."""
    app = build(settings, observability=Observability.worker("soap-edge"))
    runtime.settle(settings.runtime)
    return app


if __name__ == "__main__":
    main()

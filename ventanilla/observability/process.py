"""One process's observability: its metrics (and their /metrics server), its tracing, and what they hand out."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import grpc
from prometheus_client import CollectorRegistry

from ventanilla.config import MetricsSettings
from ventanilla.observability.exposition import MetricsServer, MetricsTls, with_process_metrics
from ventanilla.observability.grpc_interceptors import intercept_channel, server_interceptors
from ventanilla.observability.metrics import Metrics, NoMetrics
from ventanilla.observability.produce import ProduceWatch
from ventanilla.observability.tracing import Tracing
from ventanilla.stopping import FLUSH_S

log = logging.getLogger("ventanilla.observability")


def metrics_server(settings: MetricsSettings, registry: CollectorRegistry) -> MetricsServer | None:
    """The /metrics server the settings ask for, not started (None: turned off)."""
    if settings.address is None:
        return None
    tls = MetricsTls(settings.tls_cert, settings.tls_key, settings.client_ca) if settings.tls_cert is not None else None
    return MetricsServer(settings.address, registry, tls)


def serve(server: MetricsServer | None, settings: MetricsSettings) -> None:
    """Start a /metrics server, saying where; a port taken is logged (the scrape's `up` alerts), not fatal."""
    if server is None:
        return
    try:
        port = server.start()
    except OSError as error:
        log.error("metrics not served: cannot bind", extra={"address": settings.address, "error": str(error)})
        return
    log.info("metrics served", extra={"address": settings.address, "port": port, "mtls": settings.tls_cert is not None})


@dataclass
class Observability:
    """Metrics and tracing of one process; `serve()` exposes /metrics where its settings say (main() only)."""

    metrics: Metrics | NoMetrics
    tracing: Tracing
    settings: MetricsSettings | None = None
    _server: MetricsServer | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, process: str, volumes: Mapping[str, Path] | None = None,
                 env: Mapping[str, str] | None = None) -> "Observability":
        """As VENTANILLA_<PROCESS>_METRICS_* and OTEL_* ask (os.environ by default); "off": no metrics kept at all."""
        settings = MetricsSettings.from_env(process, env)
        metrics = (Metrics(process, with_process_metrics(CollectorRegistry(), volumes)) if settings.address
                   else NoMetrics(process))
        return cls(metrics, Tracing.from_env(process, env), settings)

    @classmethod
    def worker(cls, process: str, env: Mapping[str, str] | None = None) -> "Observability":
        """A gunicorn worker's: its metrics reach the master's /metrics through PROMETHEUS_MULTIPROC_DIR's files;
        tracing as OTEL_* asks (made after the fork, so its export thread is the worker's own)."""
        metered = MetricsSettings.from_env(process, env).address is not None
        return cls(Metrics(process) if metered else NoMetrics(process), Tracing.from_env(process, env))

    @classmethod
    def quiet(cls, process: str) -> "Observability":
        """Metrics nobody scrapes and no tracing: a service built in-process (tests, tools)."""
        return cls(Metrics(process), Tracing.off())

    def serve(self) -> None:
        """Start the /metrics server, unless the settings turn it off."""
        if self.settings is not None and self._kept is not None:
            self._server = metrics_server(self.settings, self.metrics.registry)
            serve(self._server, self.settings)

    def tracer(self, name: str):
        """A tracer of this process's provider."""
        return self.tracing.tracer(name)

    @property
    def _kept(self) -> Metrics | None:
        return self.metrics if isinstance(self.metrics, Metrics) else None

    def produce_watch(self) -> ProduceWatch:
        """For this process's Kafka producers: context in headers, produce latency and errors."""
        return ProduceWatch(self._kept, self.tracer("ventanilla.kafka") if self.tracing.enabled else None)

    def server_interceptors(self) -> list[grpc.ServerInterceptor]:
        """Request id, traces and metrics on every gRPC method this process serves."""
        return server_interceptors(self._kept, self.tracing)

    def channel(self, channel: grpc.Channel) -> grpc.Channel:
        """A channel with request id, metrics and client spans on every call."""
        return intercept_channel(channel, self._kept, self.tracing)

    def close(self, timeout_s: float = FLUSH_S) -> None:
        """Stop serving /metrics and export the spans still buffered, within timeout_s (a stop's budget)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.tracing.shutdown(timeout_s)

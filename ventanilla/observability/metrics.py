"""A process's metrics, created from the catalogue in a registry its composition root owns."""
from __future__ import annotations

import threading
from importlib import metadata

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ventanilla.observability import catalogue, exposition
from ventanilla.observability.grpc_metrics import MeteredClientCalls, MeteredServerCalls
from ventanilla.observability.spec import Kind, MetricSpec
from ventanilla.observability.tally import Tallies


def _create(spec: MetricSpec, registry: CollectorRegistry):
    common = {"name": spec.name, "documentation": spec.help, "labelnames": spec.labels, "registry": registry}
    if spec.kind is Kind.COUNTER:
        return Counter(**common)
    if spec.kind is Kind.HISTOGRAM:
        return Histogram(**common, buckets=spec.buckets) if spec.buckets else Histogram(**common)
    return Gauge(**common, multiprocess_mode=spec.gauge_mode)


def _version() -> str:
    try:
        return metadata.version("ventanilla")
    except metadata.PackageNotFoundError:
        return "unknown"


class Metrics:
    """The catalogue's metrics for one process: `metrics.soap_requests.labels(...).inc()`.

    Built once per process (per gunicorn worker for the edge) by its composition root; the gRPC
    interceptors are made on first use and shared by every server or channel of the process.
    """

    def __init__(self, process: str, registry: CollectorRegistry | None = None):
        self.process = process
        exposition.buffer_values()
        self.registry = registry if registry is not None else CollectorRegistry()
        self.tallies = Tallies()  # observations kept in plain rows, handed to the metrics before each collection
        self.registry.register(self.tallies)
        exposition.before_flush(self.tallies.collect)
        self._own = {spec.key: _create(spec, self.registry)
                     for spec in catalogue.for_process(process) if not spec.made_by}
        self._lock = threading.Lock()
        self._server_interceptor: MeteredServerCalls | None = None
        self._client_interceptor: MeteredClientCalls | None = None
        if "build_info" in self._own:
            self._own["build_info"].labels(version=_version()).set(1)

    def __getattr__(self, key: str):
        try:
            return self.__dict__["_own"][key]
        except KeyError:
            raise AttributeError(f"{key!r} is not a metric of the {self.process} process") from None

    def observer(self, key: str):
        """`observe(value)` of one of this process's unlabelled histograms, tallied (tally.py)."""
        return self.tallies.observer(self._own[key])

    def grpc_server_interceptor(self) -> MeteredServerCalls:
        """The request id and the calls' metrics (codes and latency per method) on this registry, in one
        interceptor."""
        with self._lock:
            if self._server_interceptor is None:
                self._server_interceptor = MeteredServerCalls(self.registry, self.tallies)
            return self._server_interceptor

    def grpc_client_interceptor(self) -> MeteredClientCalls:
        """The request id and the calls' metrics (codes and latency per method) on this registry, in one
        interceptor (py-grpc-prometheus's client interceptor cost as much as the edge's own metering)."""
        with self._lock:
            if self._client_interceptor is None:
                self._client_interceptor = MeteredClientCalls(self.registry, self.tallies)
            return self._client_interceptor



class _Unobserved:
    """A metric nobody keeps: every observation is dropped."""

    def labels(self, *_values, **_labels) -> "_Unobserved":
        return self

    def inc(self, _amount: float = 1) -> None:
        """Dropped."""

    def dec(self, _amount: float = 1) -> None:
        """Dropped."""

    def set(self, _value: float) -> None:
        """Dropped."""

    def observe(self, _value: float) -> None:
        """Dropped."""


class NoMetrics:
    """The metrics of a process whose /metrics is turned off ("off"): nothing is kept, nothing costs."""

    registry = None
    tallies = None

    def __init__(self, process: str):
        self.process = process
        self._dropped = _Unobserved()

    def observer(self, _key: str):
        """Dropped observations."""
        return self._dropped.observe

    def __getattr__(self, key: str) -> _Unobserved:
        if key.startswith("_"):
            raise AttributeError(key)
        return self.__dict__["_dropped"]

"""The /metrics HTTP server of a process, on its own port, optionally behind mutual TLS."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from prometheus_client import CollectorRegistry, multiprocess, start_http_server, values
from prometheus_client.process_collector import ProcessCollector

from ventanilla.observability.buffered import BufferedValues
from ventanilla.observability.collectors import ProcessTreeCollector, VolumeCollector

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client reads it when first imported
FLUSH_SECONDS = 1.0  # a process's increments reach its values' file at most this late (docs/operations.md)
_buffered: BufferedValues | None = None  # one per process: prometheus-client's value class is process-wide


@dataclass(frozen=True)
class MetricsTls:
    """Server certificate and key, and the CA whose client certificates may scrape (Prometheus's)."""

    certificate: Path
    key: Path
    client_ca: Path


def with_process_metrics(registry: CollectorRegistry, volumes: Mapping[str, Path] | None = None) -> CollectorRegistry:
    """Add this process's CPU, memory and open files (and state volumes' free space) to a registry."""
    ProcessCollector(registry=registry)
    if volumes:
        registry.register(VolumeCollector(volumes))
    return registry


def multiprocess_active() -> bool:
    """Whether prometheus-client was imported with PROMETHEUS_MULTIPROC_DIR set (values shared through files)."""
    return values.ValueClass is not values.MutexValue


class _Pid:
    """This process's id, read when made and again in a forked child (os.register_at_fork), not on every write."""

    def __init__(self):
        self._value = os.getpid()
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self._value = os.getpid()

    def current(self) -> int:
        """The id, as last read."""
        return self._value


def buffer_values() -> None:
    """Make prometheus-client's multiprocess values gather increments in memory and write them to this process's
    file every FLUSH_SECONDS, at exit and before this process's own scrape (BufferedValues), reading the process
    id once (and after a fork) instead of in a getpid system call on every write. Call it before this process
    makes its first metric (Metrics does)."""
    global _buffered
    if multiprocess_active() and _buffered is None:
        _buffered = BufferedValues(process_identifier=_Pid().current, period=FLUSH_SECONDS)
        values.ValueClass = _buffered.value_class


def before_flush(hook) -> None:
    """Run hook before every write of this process's gathered values (multiprocess mode; otherwise never)."""
    if _buffered is not None:
        _buffered.before_flush(hook)


def flush_values() -> None:
    """Write this process's gathered metric values to its file now."""
    if _buffered is not None:
        _buffered.flush()


class _FlushFirst:
    """A collector that yields nothing and writes this process's gathered values, so its own scrape is current."""

    def collect(self):
        flush_values()
        return []


def prepare_multiprocess_dir(directory: Path) -> None:
    """Empty the directory the workers write their values to (a gunicorn master calls it before forking)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)


def worker_exited(pid: int) -> None:
    """Forget a dead worker's live gauges (gunicorn's child_exit hook)."""
    multiprocess.mark_process_dead(pid, os.environ[MULTIPROC_VARIABLE])


def multiprocess_registry() -> CollectorRegistry:
    """A registry adding up every worker's values, and the master's process tree for CPU/RSS/files."""
    if not multiprocess_active():
        raise RuntimeError(f"{MULTIPROC_VARIABLE} must be set before prometheus_client is first imported")
    registry = CollectorRegistry()
    registry.register(_FlushFirst())  # collected first (registration order)
    multiprocess.MultiProcessCollector(registry)
    registry.register(ProcessTreeCollector())
    return registry


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


class MetricsServer:
    """Serves a registry at /metrics (Prometheus text format) from a daemon thread."""

    def __init__(self, address: str, registry: CollectorRegistry, tls: MetricsTls | None = None):
        self._address, self._registry, self._tls = address, registry, tls
        self._httpd = None
        self.port: int | None = None

    def start(self) -> int:
        """Bind and serve; the port bound (an address with port 0 gets a free one)."""
        host, port = _split(self._address)
        tls = {} if self._tls is None else {
            "certfile": str(self._tls.certificate), "keyfile": str(self._tls.key),
            "client_cafile": str(self._tls.client_ca), "client_auth_required": True}
        self._httpd, _thread = start_http_server(port, host, registry=self._registry, **tls)
        self.port = self._httpd.server_port
        return self.port

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

"""Several registry processes on one port (SO_REUSEPORT), started, watched and stopped together by a parent.

Each child is a whole registry (its own Kafka producer and gRPC server) sharing the claims store, which keeps
one id per business key across them; the parent serves their metrics, added up, and forwards SIGTERM.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, multiprocess

from ventanilla.config import MetricsSettings, Settings
from ventanilla.observability.collectors import ProcessTreeCollector, VolumeCollector
from ventanilla.observability.exposition import MULTIPROC_VARIABLE, prepare_multiprocess_dir
from ventanilla.observability.process import metrics_server, serve
from ventanilla.processes import dying_with_parent
from ventanilla.stopping import stop_bound_s

log = logging.getLogger("registry")
CHILD_VARIABLE = "VENTANILLA_REGISTRY_PROCESS"  # set in each child: its index (a child never starts others)


def is_child(env=os.environ) -> bool:
    """Whether this process is one of a parent's registry processes."""
    return CHILD_VARIABLE in env


def metrics_dir(settings: Settings, env=os.environ) -> Path:
    """Where the children leave their metric values: PROMETHEUS_MULTIPROC_DIR, else the registry's state."""
    return Path(env[MULTIPROC_VARIABLE]) if env.get(MULTIPROC_VARIABLE) else settings.path("registry", "metrics")


def summed_registry(directory: Path, volumes: dict[str, Path]) -> CollectorRegistry:
    """Every child's values added up, the CPU/memory of the parent and its children, the volumes' free space."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))
    registry.register(ProcessTreeCollector())
    registry.register(VolumeCollector(volumes))
    return registry


class RegistryProcesses:
    """`count` registry children of this parent; one ending on its own stops them all (the pod restarts)."""

    def __init__(self, settings: Settings, count: int, volumes: dict[str, Path]):
        self._settings, self._count, self._volumes = settings, count, volumes
        self._children: list[subprocess.Popen] = []
        self.stopping = threading.Event()

    def run(self) -> int:
        """Start the children and serve their metrics; block until SIGTERM/SIGINT (0) or a child dies (1)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        directory = metrics_dir(self._settings)
        prepare_multiprocess_dir(directory)
        env = {**os.environ, MULTIPROC_VARIABLE: str(directory)}
        for index in range(self._count):
            self._children.append(subprocess.Popen(
                dying_with_parent([sys.executable, "-m", "registry_service"]), env={**env, CHILD_VARIABLE: str(index)},
                stdin=subprocess.DEVNULL))
        log.info("registry processes started", extra={"pids": [c.pid for c in self._children],
                                                      "address": self._settings.addresses.registry})
        metrics = MetricsSettings.from_env("registry")
        server = metrics_server(metrics, summed_registry(directory, self._volumes))
        serve(server, metrics)
        try:
            return self._watch()
        finally:
            self._stop()
            if server is not None:
                server.stop()

    def _watch(self) -> int:
        while not self.stopping.wait(0.5):
            for child in self._children:
                if child.poll() is not None:
                    log.error("a registry process ended; stopping the others",
                              extra={"pid": child.pid, "code": child.returncode})
                    return 1
        return 0

    def _stop(self) -> None:
        for child in self._children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + stop_bound_s(self._settings.deadlines.write_s) + 1  # a child's bound, then 1 s
        for child in self._children:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("a registry process did not stop; killing it", extra={"pid": child.pid})
                child.kill()
                child.wait()
        log.info("registry processes stopped", extra={"codes": [c.returncode for c in self._children]})

"""/metrics of a gunicorn service (the edge, the portal), served by its master: every worker's values added up
from PROMETHEUS_MULTIPROC_DIR."""
from __future__ import annotations

import logging

from ventanilla.config import MetricsSettings
from ventanilla.observability import exposition
from ventanilla.observability.process import metrics_server, serve

log = logging.getLogger("ventanilla.observability")


class MasterMetrics:
    """gunicorn hooks: empty the values' directory and serve before the workers start; forget a dead worker;
    a worker writes its gathered values as it exits."""

    def __init__(self, settings: MetricsSettings):
        self._settings = settings
        self._server: exposition.MetricsServer | None = None

    def hooks(self) -> dict:
        """gunicorn settings (on_starting, child_exit, on_exit), or none when /metrics is off or cannot add up."""
        if self._settings.address is None:
            return {}
        if not exposition.multiprocess_active() or self._settings.multiproc_dir is None:
            log.warning("no /metrics: set PROMETHEUS_MULTIPROC_DIR (a directory for the workers' values) in the "
                        "environment of this gunicorn service")
            return {}
        return {"on_starting": self._serve, "child_exit": self._worker_exited, "on_exit": self._stop,
                "worker_exit": self._worker_exiting}

    def _serve(self, _arbiter) -> None:
        exposition.prepare_multiprocess_dir(self._settings.multiproc_dir)
        self._server = metrics_server(self._settings, exposition.multiprocess_registry())
        serve(self._server, self._settings)

    @staticmethod
    def _worker_exiting(_arbiter, _worker) -> None:
        exposition.flush_values()  # in the worker, as it exits: its last values reach its file

    @staticmethod
    def _worker_exited(_arbiter, worker) -> None:
        exposition.worker_exited(worker.pid)

    def _stop(self, _arbiter) -> None:
        if self._server is not None:
            self._server.stop()

"""gunicorn for the portal, configured in code: HTTPS asking for (not requiring) client certificates."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from gunicorn.app.base import BaseApplication

from ventanilla import tls
from ventanilla.config import MetricsSettings, Settings
from ventanilla.observability.gunicorn import MasterMetrics
from ventanilla.stopping import stop_bound_s

THREADS = 8


def stop_grace_s(_settings: Settings) -> float:
    """How long a stopping worker lets the pages under way finish (docs/operations.md, "Stopping"); gunicorn's
    graceful_timeout is the stop's bound, after which the master kills the workers."""
    return 10.0


def logging_config(level: str) -> dict:
    """JSON lines on stderr; no access log (it would carry paths with ids and CSVs)."""
    handler = {"class": "ventanilla.logs.StderrHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"json": {"()": "ventanilla.logs.JsonFormatter", "service": "portal"}},
            "handlers": {"console": handler, "error_console": handler},
            "root": {"level": level.upper(), "handlers": ["console"]},
            "loggers": {"gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
                        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False}}}


class PortalServer(BaseApplication):
    """Serves build(settings).app in each worker, with its background loops started after the fork."""

    def __init__(self, settings: Settings, build: Callable, metrics: MetricsSettings | None = None):
        self._settings, self._build = settings, build
        self._metrics = MasterMetrics(metrics) if metrics is not None else None
        super().__init__()

    def load_config(self):
        s, p = self._settings, self._settings.portal
        files = tls.TlsFiles(p.tls_cert, p.tls_key, p.client_ca, Path(p.client_crl) if p.client_crl else None)
        context = tls.server_context(files, client_required=False)
        options = {
            "bind": f"{p.host}:{p.port}", "workers": p.workers, "worker_class": "gthread", "threads": THREADS,
            "timeout": 60, "graceful_timeout": int(stop_bound_s(stop_grace_s(s))), "preload_app": False, "proc_name": "ventanilla-portal",
            "control_socket_disable": True, "logconfig_dict": logging_config(s.log_level), "keepalive": 5,
            "certfile": str(files.certificate), "keyfile": str(files.key), "ca_certs": str(files.client_ca_bundle),
            "cert_reqs": 1, "ssl_context": lambda _config, _default: context,
        }
        if self._metrics is not None:
            options.update(self._metrics.hooks())
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        process = self._build(self._settings)
        process.start()
        return process.app

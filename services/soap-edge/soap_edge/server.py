"""gunicorn, configured in code: each worker builds the edge after the fork (lazy gRPC channels)."""
from __future__ import annotations

from typing import Callable

from gunicorn.app.base import BaseApplication

from ventanilla.config import Settings

WORKER_CLASS = "sync"  # measured in docs/benchmarks.md (soap-edge section): sync vs gthread


def logging_config(level: str) -> dict:
    """gunicorn's logconfig_dict: JSON lines on stderr for everything; our own access log only."""
    json_handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "ventanilla.logs.JsonFormatter", "service": "soap-edge"}},
        "handlers": {"console": json_handler, "error_console": json_handler},
        "root": {"level": level.upper(), "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
            "spyne": {"level": "CRITICAL", "handlers": [], "propagate": True},
        },
    }


class EdgeServer(BaseApplication):
    """Serves the WSGI app that build(settings) returns, once per worker process."""

    def __init__(self, settings: Settings, build: Callable, deadline_s: float):
        self._settings, self._build, self._deadline_s = settings, build, deadline_s
        super().__init__()

    def load_config(self):
        s = self._settings
        options = {
            "bind": f"{s.soap_host}:{s.soap_port}",
            "workers": s.soap_workers,
            "worker_class": WORKER_CLASS,
            "timeout": int(self._deadline_s) + 30,
            "graceful_timeout": int(self._deadline_s) + 5,
            "preload_app": False,
            "proc_name": "ventanilla-soap-edge",
            "logconfig_dict": logging_config(s.log_level),
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._build(self._settings)

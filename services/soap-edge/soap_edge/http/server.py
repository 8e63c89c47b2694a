"""gunicorn, configured in code: each worker builds the edge after the fork (lazy gRPC channels)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from ventanilla.config import MetricsSettings, Settings

from ventanilla import tls
from ventanilla.observability.gunicorn import MasterMetrics
from ventanilla.stopping import stop_bound_s

from soap_edge.http.worker import EdgeWorker

# Measured (wrk -t1 -c8, 2 workers, real gRPC to fake backends on the same 2 cores): with backends
# answering in 50 ms, sync gives ~35 req/s (p50 217 ms) and gthread x8 ~125 req/s (p50 57 ms); with
# instant backends sync leads on CPU-bound MTOM (158 vs 129 req/s). Backends wait (Kafka acks, the
# status service's read-your-writes catch-up): threads keep the edge from queueing behind them.
# The worker is gthread's (soap_edge.http.worker.EdgeWorker) with handshakes and request heads in its event loop;
# its threads: VENTANILLA_SOAP_THREADS (8).


def logging_config(level: str) -> dict:
    """gunicorn's logconfig_dict: JSON lines on stderr for everything; our own access log only."""
    json_handler = {"class": "ventanilla.logs.StderrHandler", "formatter": "json", "stream": "ext://sys.stderr"}
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


class KeptAccessLog(Logger):
    """gunicorn's logger, building its access line only when its access logger keeps INFO.

    gunicorn builds the line's atoms (every header and environ entry) whenever a logging configuration is given, and
    only then hands it to a logger that may drop it: the edge writes its own access line and sets gunicorn's to
    CRITICAL, so that work (5-8 % of a worker's Python CPU under consultarEstadoFactura, measured) was thrown away.
    """

    @property
    def access_log_enabled(self) -> bool:
        return super().access_log_enabled and self.access_log.isEnabledFor(logging.INFO)


def limits() -> dict:
    """gunicorn's bounds on request heads and idle connections (the body is bounded by the front)."""
    return {
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 16384,  # the nginx ingress's ssl-client-cert header holds a URL-encoded PEM
        "keepalive": 5,
        "backlog": 512,
        "worker_connections": 1000,  # open connections per worker, arriving ones included (each: a socket, <= 64 KiB)
    }


def deadlines(settings: Settings) -> tls.ArrivalDeadlines:
    """The configured handshake, request and socket-operation deadlines."""
    return tls.ArrivalDeadlines(settings.edge.handshake_timeout_s, settings.edge.request_timeout_s,
                         settings.edge.io_timeout_s)


def worker_class(settings: Settings) -> type[EdgeWorker]:
    """The edge's worker class, holding the configured deadlines."""
    return type("EdgeWorker", (EdgeWorker,), {"deadlines": deadlines(settings)})


def tls_options(settings: Settings) -> dict:
    """gunicorn's TLS settings: none in plain-HTTP mode, else our TLS 1.2+ client-certificate context."""
    if settings.edge.plain_http:
        return {}
    files = tls.TlsFiles(settings.edge.tls_cert, settings.edge.tls_key, settings.edge.client_ca,
                         Path(settings.edge.client_crl) if settings.edge.client_crl else None)
    context = tls.server_context(files, deadlines(settings))  # built in the arbiter: missing files fail the start

    def ssl_context(_config, _default_factory):
        return context

    return {"certfile": str(files.certificate), "keyfile": str(files.key), "ca_certs": str(files.client_ca_bundle),
            "cert_reqs": 2, "ssl_context": ssl_context}


def stop_grace_s(settings: Settings) -> float:
    """How long a stopping worker lets the calls under way finish: the longest call's deadline (docs/operations.md,
    "Stopping"); gunicorn's graceful_timeout is the stop's bound, after which the master kills the workers."""
    return max(settings.deadlines.query_s, settings.deadlines.write_s)


class EdgeServer(BaseApplication):
    """Serves the WSGI app that build(settings) returns, once per worker process; /metrics from the master."""

    def __init__(self, settings: Settings, build: Callable, metrics: MetricsSettings | None = None):
        self._settings, self._build = settings, build
        self._metrics = MasterMetrics(metrics) if metrics is not None else None
        super().__init__()

    def load_config(self):
        s = self._settings
        longest_call_s = max(s.deadlines.query_s, s.deadlines.write_s)
        options = {
            "bind": f"{s.edge.host}:{s.edge.port}",
            "workers": s.edge.workers,
            "worker_class": worker_class(s),
            "threads": s.edge.threads,
            "timeout": int(longest_call_s) + 30,
            "graceful_timeout": int(stop_bound_s(stop_grace_s(s))),
            "preload_app": False,
            "proc_name": "ventanilla-soap-edge",
            "control_socket_disable": True,  # no runtime control surface; several edges may share a host
            "logconfig_dict": logging_config(s.log_level),
            "logger_class": KeptAccessLog,
            **limits(),
        }
        options.update(tls_options(s))
        if self._metrics is not None:
            options.update(self._metrics.hooks())
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._build(self._settings)

"""Structured logging: one JSON object per line, with the `extra` fields of each call and the request's context."""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import sys
import threading
import time
from datetime import datetime, timezone
from functools import lru_cache

from opentelemetry import trace

from ventanilla.observability import requestid

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


@lru_cache(maxsize=4096)  # a pure function, asked for on every access log line of a known caller
def pseudonym(value: str) -> str:
    """A stable stand-in for a personal identifier (a NIF) in logs: whoever knows the value can find its lines."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def context_fields() -> dict[str, str]:
    """The request id, trace id and span id of the work under way in the logging thread (those that exist)."""
    fields = {}
    request_id = requestid.current()
    if request_id is not None:
        fields["request_id"] = request_id
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        fields["trace_id"], fields["span_id"] = format(span.trace_id, "032x"), format(span.span_id, "016x")
    return fields


class JsonFormatter(logging.Formatter):
    """Formats records as JSON: time, level, service, pid, logger, message, request/trace context and extra fields."""

    def __init__(self, service: str):
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self._service,
            "pid": record.process,  # several processes of one service may share a stream (the registry's)
            "logger": record.name,
            "msg": record.getMessage(),
            **context_fields(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):
    """A StreamHandler on stderr that drops lines quietly once stderr is closed or nobody reads it any more (a
    process outliving whoever read its output, its Kafka client still logging reconnects), where logging would
    print "--- Logging error ---" and a traceback for every line."""

    def __init__(self, stream=None):
        super().__init__(sys.stderr if stream is None else stream)

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError)) or getattr(self.stream, "closed", False):
            return
        if isinstance(error, OSError) and error.errno == errno.EBADF:
            return
        super().handleError(record)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send this process's logs to stderr as JSON lines; quiet the chatty Kafka client."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("kafka").setLevel(logging.WARNING)


class Everyso:
    """Says whether a refusal is worth a log line: once per key every period_s, so that a knocking loop cannot
    flood the logs."""

    def __init__(self, period_s: float):
        self._period_s, self._last, self._lock = period_s, {}, threading.Lock()

    def due(self, key) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(key, -self._period_s) < self._period_s:
                return False
            if len(self._last) > 10_000:
                self._last.clear()
            self._last[key] = now
            return True

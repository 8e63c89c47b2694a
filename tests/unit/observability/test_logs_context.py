"""JSON log lines carry the request id, trace id and span id of the work under way."""
from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ventanilla.logs import JsonFormatter
from ventanilla.observability import requestid
from ventanilla.observability.tracing import Tracing


def _line(**extra) -> dict:
    record = logging.LogRecord("status.intake", logging.INFO, __file__, 1, "applied", (), None)
    record.__dict__.update(extra)
    return json.loads(JsonFormatter("status").format(record))


def test_without_context_no_ids_are_made_up():
    line = _line()
    assert not {"request_id", "trace_id", "span_id"} & set(line)


def test_the_current_request_id_and_span_are_in_the_line():
    tracing = Tracing.to("status", InMemorySpanExporter())
    with requestid.bound("req-42"), tracing.tracer("t").start_as_current_span("handle") as span:
        line = _line()
    context = span.get_span_context()
    assert line["request_id"] == "req-42"
    assert line["trace_id"] == format(context.trace_id, "032x") and len(line["trace_id"]) == 32
    assert line["span_id"] == format(context.span_id, "016x")


def test_an_explicit_extra_field_wins():
    with requestid.bound("from-context"):
        assert _line(request_id="explicit")["request_id"] == "explicit"


def test_bound_restores_the_previous_id():
    with requestid.bound("outer"):
        with requestid.bound("inner"):
            assert requestid.current() == "inner"
        assert requestid.current() == "outer"
    assert requestid.current() is None


def test_only_sane_ids_are_accepted():
    assert requestid.accepted("abc-123.x:y@z") == "abc-123.x:y@z"
    assert requestid.accepted(b"abc") == "abc"
    for bad in ("", None, "a b", "x" * 200, "-leading", "caf\u00e9", "a\nb"):
        assert requestid.accepted(bad) is None


def test_every_line_names_its_process():
    import os

    assert _line()["pid"] == os.getpid()  # the registry's processes share one output stream

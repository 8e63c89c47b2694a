"""An OTLP/HTTP trace receiver on loopback: what the services' real OTLP exporters send, decoded and kept."""
from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (ExportTraceServiceRequest,
                                                                      ExportTraceServiceResponse)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanPb

KINDS = {SpanPb.SPAN_KIND_SERVER: "server", SpanPb.SPAN_KIND_CLIENT: "client", SpanPb.SPAN_KIND_PRODUCER: "producer",
         SpanPb.SPAN_KIND_CONSUMER: "consumer", SpanPb.SPAN_KIND_INTERNAL: "internal"}


@dataclass(frozen=True)
class Span:
    """One exported span, ids in hex."""

    service: str
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict
    links: tuple[str, ...] = ()  # the span ids it links to
    resource: tuple[tuple[str, str], ...] = ()  # its process's resource attributes (service.name among them)


def _spans(request: ExportTraceServiceRequest) -> list[Span]:
    found = []
    for resource_spans in request.resource_spans:
        attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        resource = tuple(sorted(attributes.items()))
        for scope in resource_spans.scope_spans:
            found += [Span(attributes.get("service.name", ""), s.name, KINDS.get(s.kind, "unspecified"),
                           s.trace_id.hex(), s.span_id.hex(), s.parent_span_id.hex(),
                           {a.key: a.value.string_value for a in s.attributes},
                           tuple(link.span_id.hex() for link in s.links), resource) for s in scope.spans]
    return found


class OtlpReceiver:
    """POST /v1/traces (application/x-protobuf, optionally gzip) into `spans`."""

    def __init__(self):
        self.spans: list[Span] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with receiver._lock:
                    receiver.spans += _spans(ExportTraceServiceRequest.FromString(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        """OTEL_EXPORTER_OTLP_TRACES_ENDPOINT for the exporters."""
        return f"http://127.0.0.1:{self._server.server_port}/v1/traces"

    def start(self) -> "OtlpReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, found: Callable[[list[Span]], object], timeout_s: float = 30.0):
        """Wait until found(spans) is truthy; its value (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                value = found(list(self.spans))
            if value or time.monotonic() > deadline:
                assert value, "spans never arrived"
                return value
            time.sleep(0.1)

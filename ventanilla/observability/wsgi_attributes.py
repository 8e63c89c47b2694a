"""A sampled request's semantic-convention attributes, the WSGI instrumentation's own, worked out once per distinct
request shape.

`collect_request_attributes` parses the host, the port, the target, the peer and the user agent of every sampled
request (the largest single item of a sampled consultarEstadoFactura's CPU at the edge after the span itself:
tests/benchmarks/sampled_cost.py --profile); its result depends only on the environ values it reads (READ), which
repeat from one request to the next on a kept-alive connection. So the result is kept per tuple of those values
(a bounded table, emptied when full) and each request gets its own copy. tests/unit/observability/
test_wsgi_attributes.py checks READ against what the function actually reads and the results against it.
"""
from __future__ import annotations

from opentelemetry.instrumentation.wsgi import collect_request_attributes

READ = ("REQUEST_METHOD", "SERVER_NAME", "wsgi.url_scheme", "HTTP_HOST", "SERVER_PORT", "RAW_URI", "REQUEST_URI",
        "PATH_INFO", "QUERY_STRING", "SCRIPT_NAME", "REMOTE_ADDR", "REMOTE_PORT", "REMOTE_HOST", "HTTP_USER_AGENT",
        "SERVER_PROTOCOL")  # every environ key collect_request_attributes (and wsgiref's request_uri) reads


class RequestAttributes:
    """collect_request_attributes(environ, mode), remembered for up to `size` distinct request shapes."""

    def __init__(self, mode, size: int = 256):
        self._mode, self._size = mode, size
        self._known: dict[tuple, dict] = {}

    def __call__(self, environ) -> dict:
        shape = tuple(map(environ.get, READ))
        found = self._known.get(shape)
        if found is None:
            if len(self._known) >= self._size:
                self._known.clear()
            found = self._known[shape] = collect_request_attributes(environ, self._mode)
        return dict(found)  # the request's own: its span and duration attributes are added to it

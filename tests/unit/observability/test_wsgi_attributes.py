"""A sampled request's attributes remembered per request shape are the WSGI instrumentation's for that request."""
from __future__ import annotations

import random

from opentelemetry.instrumentation._semconv import _StabilityMode
from opentelemetry.instrumentation.wsgi import collect_request_attributes

from ventanilla.observability.wsgi_attributes import READ, RequestAttributes

_VALUES = {"REQUEST_METHOD": ["POST", "GET", "post", "BREW", ""], "SERVER_NAME": ["edge", "0.0.0.0"],
           "wsgi.url_scheme": ["https", "http"], "HTTP_HOST": ["edge:8443", "ventanilla.example", "[::1]:80", None],
           "SERVER_PORT": ["8443", "80"], "RAW_URI": ["/ws/v2/FacturaService", "/ws?x=1", "", None],
           "REQUEST_URI": ["/ws", None], "PATH_INFO": ["/ws/v2/FacturaService", "", "/a b"],
           "QUERY_STRING": ["", "wsdl", "token=secret&a=1"], "SCRIPT_NAME": ["", "/app"],
           "REMOTE_ADDR": ["10.0.0.7", "::1", None], "REMOTE_PORT": ["40000", "5", None],
           "REMOTE_HOST": ["client.example", "10.0.0.7", None],
           "HTTP_USER_AGENT": ["Apache-CXF/3.5", "Googlebot/2.1", "", None],
           "SERVER_PROTOCOL": ["HTTP/1.1", "HTTP/2", "", None]}
_OTHERS = {"HTTP_X_FORWARDED_FOR": ["1.2.3.4", None], "CONTENT_TYPE": ["text/xml", None],
           "HTTP_TRACEPARENT": ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", None]}


def _environ(rng: random.Random) -> dict:
    """A random environ with the keys PEP 3333 requires (SERVER_NAME, SERVER_PORT among them)."""
    chosen = {key: rng.choice(values) for key, values in {**_VALUES, **_OTHERS}.items()}
    return {key: value for key, value in chosen.items() if value is not None}


class _Reading(dict):
    """An environ that records which keys are read."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def test_the_instrumentation_reads_only_the_keys_the_shape_is_made_of():
    rng, read = random.Random(14), set()
    for mode in (_StabilityMode.DEFAULT, _StabilityMode.HTTP, _StabilityMode.HTTP_DUP):
        for _ in range(400):
            environ = _Reading(_environ(rng))
            collect_request_attributes(environ, mode)
            read |= environ.read
    assert read <= set(READ), read - set(READ)


def test_remembered_attributes_equal_the_instrumentations_and_each_request_gets_its_own_copy():
    rng = random.Random(41)
    for mode in (_StabilityMode.DEFAULT, _StabilityMode.HTTP_DUP):
        remembered = RequestAttributes(mode, size=8)  # small: the table is emptied and refilled along the way
        for _ in range(600):
            environ = _environ(rng)
            mine = remembered(environ)
            assert mine == collect_request_attributes(environ, mode)
            mine["http.status_code"] = 200  # the response's attributes are added to the request's copy
            assert "http.status_code" not in remembered(environ)

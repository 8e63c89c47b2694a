"""Request ids: a sane client X-Request-ID is echoed, anything else is replaced."""
from __future__ import annotations

import re

import pytest

from soap_edge.http.front import arrived

from .fakes import Client, edge, envelope


def request_id(environ) -> str:
    return arrived(environ).request_id


@pytest.mark.parametrize("offered", ["abc", "3f2b-11ee:x.y_z@host", "0" * 128,
                                     "123e4567-e89b-12d3-a456-426614174000"])
def test_sane_ids_are_echoed(offered):
    assert request_id({"HTTP_X_REQUEST_ID": offered}) == offered


@pytest.mark.parametrize("offered", ["", " ", "a b", "x" * 129, "<script>", "-leading-dash", "ñandú", "a\r\nb", "a;b"])
def test_other_ids_are_replaced(offered):
    assert re.fullmatch(r"[0-9a-f]{32}", request_id({"HTTP_X_REQUEST_ID": offered}))


def test_absent_id_is_generated_fresh_each_time():
    assert request_id({}) != request_id({})


def test_every_response_carries_the_id_also_in_fault_messages():
    client = Client(edge())
    ok = client.post(envelope("version"), HTTP_X_REQUEST_ID="req-1")
    assert ok.code == 200 and ok.headers["X-Request-ID"] == "req-1"
    bad = client.post(b"<not-soap/>", HTTP_X_REQUEST_ID="req-2")
    assert bad.headers["X-Request-ID"] == "req-2" and b"(petici\xc3\xb3n req-2)</message>" in bad.body
    generated = client.request("GET", "/nowhere")
    assert generated.headers["X-Request-ID"].encode() in generated.body


def test_the_request_id_reaches_the_backend_as_caller_request_id():
    from .fakes import FakeBackends

    backends = FakeBackends()
    Client(edge(backends)).post(envelope("consultarFactura", "<idFactura>7</idFactura>"), HTTP_X_REQUEST_ID="abc-9")
    (_, _, request), = backends.calls
    assert request.caller.request_id == "abc-9" and request.caller.nif == "12345678Z"

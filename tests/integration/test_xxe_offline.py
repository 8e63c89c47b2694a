"""An external entity that names a URL is refused without a connection: a real listening socket on loopback
is left with nothing to accept (the parser alone, and the whole SOAP front)."""
from __future__ import annotations

import socket

import pytest

from tests.unit.facturae.test_facturae_xml import refused_quickly
from tests.unit.soap_edge.test_hostile import refused, xxe


@pytest.fixture
def listener():
    """A listening loopback socket; accept() on it raises BlockingIOError while no one has connected."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


def url(listener, path: str) -> str:
    return f"http://127.0.0.1:{listener.getsockname()[1]}/{path}"


@pytest.mark.parametrize(
    "template",
    [
        '<!DOCTYPE r [<!ENTITY x SYSTEM "{url}">]><r>&x;</r>',
        '<!DOCTYPE r SYSTEM "{url}"><r/>',
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}">%p;]><r/>',
    ],
)
@pytest.mark.timeout(5)
def test_the_parser_refuses_an_xxe_url_without_connecting(listener, template):
    refused_quickly(template.format(url=url(listener, "x")).encode())
    with pytest.raises(BlockingIOError):  # a connection made while parsing would be waiting here
        listener.accept()


def test_the_edge_refuses_an_xxe_url_without_connecting(listener):
    refused(xxe(url(listener, "x")))
    with pytest.raises(BlockingIOError):
        listener.accept()

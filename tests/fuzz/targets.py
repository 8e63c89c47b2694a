"""What every hostile input must get, shared by the hypothesis suite and the atheris fuzz run."""
from __future__ import annotations

from datetime import date

from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.parser import parse_facturae
from ventanilla.facturae.rules import check_business_rules

from tests.unit.soap_edge.fakes import TNS, Client, FakeBackends, edge

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CLIENT_KEYS = {key.value for key in ErrorKey}
ANSWERS = {200, 500}  # a SOAP fault only ever with 500 (WS-I BP R1126)


class Edge:
    """One in-process edge over fake backends (building spyne's app once is the slow part)."""

    _shared: "Edge | None" = None

    def __init__(self):
        self.backends = FakeBackends()
        self.client = Client(edge(self.backends))

    @classmethod
    def shared(cls) -> "Edge":
        """One edge for a whole run, built on first use."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def check(self, body: bytes, content_type: str) -> int:
        """Post; assert a valid answer or a well-formed fault with a client-side catalogue key."""
        reply = self.client.post(body, content_type=content_type)
        assert reply.code in ANSWERS, reply.status
        if reply.code == 200:
            assert reply.body, "an empty 200"
            return reply.code
        root = etree.fromstring(reply.body)
        assert root.tag == f"{{{SOAP_ENV}}}Envelope", reply.body[:200]
        key = root.findtext(f".//{{{TNS}}}ServicioError/mensajesError")
        assert key in CLIENT_KEYS, reply.body[:300]
        assert key != ErrorKey.REGISTRO.value, f"a server error (unhandled?) for hostile input: {reply.body[:300]!r}"
        return reply.code


def check_facturae(data: bytes) -> None:
    """Parse and check a Facturae: a document or a DomainError, nothing else."""
    try:
        check_business_rules(parse_facturae(data), date(2026, 1, 1))
    except DomainError as error:
        assert error.key in ErrorKey and error.key is not ErrorKey.REGISTRO, error

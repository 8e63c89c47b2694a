"""Large bodies take a slot; when none frees in time the answer is a 503 fault; queries never wait."""
from __future__ import annotations

from soap_edge.admission import LARGE_BYTES, LargeBodies
from soap_edge.app import soap_wsgi
from soap_edge.front import Front
from soap_edge.handlers import Handlers

from .fakes import PATH, Client, FakeBackends, envelope


def test_a_large_body_waits_for_a_slot_and_a_query_does_not():
    backends = FakeBackends()
    slots = LargeBodies(1, wait_s=0.2)
    client = Client(Front(soap_wsgi(Handlers(backends, 500)), backends.ready, PATH, 8 << 20, large_bodies=slots))
    large = envelope("enviarFactura", b"<facturae>" + b"eHh4" * (LARGE_BYTES // 4 + 1) + b"</facturae>")
    with slots.admit({"CONTENT_LENGTH": str(len(large))}):  # the only slot is taken
        busy = client.post(large)
        query = client.post(envelope("consultarFactura", "<idFactura>1</idFactura>"))
    assert busy.code == 503 and b"facturae.error.registro" in busy.body and backends.calls[0][1] == "GetInvoice"
    assert query.code == 200
    assert client.post(large).code == 200  # the slot is free again

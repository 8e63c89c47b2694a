"""Large bodies take a slot; when none frees in time the answer is a server fault; queries never wait."""
from __future__ import annotations

from soap_edge.http.body import LARGE_BYTES, LargeBodies

from .fakes import Client, FakeBackends, edge, envelope


def test_a_large_body_waits_for_a_slot_and_a_query_does_not():
    backends = FakeBackends()
    slots = LargeBodies(1, wait_s=0.2)
    client = Client(edge(backends, large_bodies=slots))
    large = envelope("enviarFactura", b"<facturae>" + b"eHh4" * (LARGE_BYTES // 4 + 1) + b"</facturae>")
    with slots.admit({"CONTENT_LENGTH": str(len(large))}):  # the only slot is taken
        busy = client.post(large)
        query = client.post(envelope("consultarFactura", "<idFactura>1</idFactura>"))
    assert busy.code == 500 and b"facturae.error.registro" in busy.body and backends.calls[0][1] == "GetInvoice"
    assert query.code == 200
    assert client.post(large).code == 200  # the slot is free again


def test_a_large_body_leaves_no_cyclic_garbage_behind():
    import gc

    class Cycle:
        def __init__(self):
            self.me = self

    slots = LargeBodies(1, wait_s=0.2)
    gc.disable()
    try:
        with slots.admit({"CONTENT_LENGTH": str(LARGE_BYTES + 1)}):
            Cycle()  # unreachable at once, freed only by a collection
        assert not [o for o in gc.get_objects() if isinstance(o, Cycle)]
    finally:
        gc.enable()

"""Large bodies take a slot; when none frees in time the answer is a server fault; queries never wait."""
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


def test_malloc_arenas_can_be_capped_on_this_c_library():
    from soap_edge.memory import limit_malloc_arenas

    assert limit_malloc_arenas(16)  # glibc's own default on 2 cores: the test process is left as it was

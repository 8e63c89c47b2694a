"""Large bodies reserve their memory from a budget; when it does not free in time the answer is a server fault;
queries never wait; as many large bodies run side by side as the budget holds."""
from __future__ import annotations

import threading

import pytest

from soap_edge.http.body import COST_INLINE, COST_MTOM, LARGE_BYTES, Busy, LargeBodies

from .fakes import Client, FakeBackends, edge, envelope

MB = 1024 * 1024


def test_a_large_body_waits_for_its_memory_and_a_query_does_not():
    backends = FakeBackends()
    large = envelope("enviarFactura", b"<facturae>" + b"eHh4" * (LARGE_BYTES // 4 + 1) + b"</facturae>")
    budget = LargeBodies(COST_INLINE * len(large), 8 * MB, wait_s=0.2)  # one such body at a time
    client = Client(edge(backends, large_bodies=budget))
    with budget.admit({"CONTENT_LENGTH": str(len(large))}, mtom=False):  # the whole budget is taken
        busy = client.post(large)
        query = client.post(envelope("consultarFactura", "<idFactura>1</idFactura>"))
    assert busy.code == 500 and b"facturae.error.registro" in busy.body and backends.calls[0][1] == "GetInvoice"
    assert query.code == 200
    assert client.post(large).code == 200  # the budget is free again


def test_a_body_reserves_twice_its_length_over_mtom_four_times_inline_and_the_limit_when_chunked():
    budget = LargeBodies(1024 * MB, 8 * MB, wait_s=0.2)
    assert budget.cost({"CONTENT_LENGTH": str(LARGE_BYTES)}, mtom=True) == 0
    assert budget.cost({"CONTENT_LENGTH": str(3 * MB)}, mtom=True) == COST_MTOM * 3 * MB == 6 * MB
    assert budget.cost({"CONTENT_LENGTH": str(3 * MB)}, mtom=False) == COST_INLINE * 3 * MB
    assert budget.cost({}, mtom=True) == 2 * 8 * MB
    assert budget.cost({"CONTENT_LENGTH": str(9 * MB)}, mtom=True) == 2 * 8 * MB  # refused as too large, later
    assert LargeBodies(10 * MB, 8 * MB, wait_s=0.2).cost({}, mtom=False) == 10 * MB  # never more than the budget


def test_the_default_budget_holds_twenty_8_mb_mtom_uploads_and_more_side_by_side_and_the_next_one_waits():
    body = {"CONTENT_LENGTH": str(8 * MB - 64 * 1024)}
    budget = LargeBodies(384 * MB, 8 * MB, wait_s=0.2)
    inside, release, threads = threading.Semaphore(0), threading.Event(), []

    def upload():
        with budget.admit(body, mtom=True):
            inside.release()
            release.wait(10)

    holds = 384 * MB // budget.cost(body, mtom=True)
    assert holds >= 20  # 24
    for _ in range(holds):
        threads.append(threading.Thread(target=upload))
        threads[-1].start()
    try:
        for _ in range(holds):
            assert inside.acquire(timeout=10)  # all of them in at once
        with pytest.raises(Busy):
            with budget.admit(body, mtom=True):
                pass
    finally:
        release.set()
        for thread in threads:
            thread.join()
    with budget.admit(body, mtom=True):  # everything given back
        assert budget.cost(body, mtom=True) == 2 * (8 * MB - 64 * 1024)


def test_a_large_body_leaves_no_cyclic_garbage_behind():
    import gc

    class Cycle:
        def __init__(self):
            self.me = self

    budget = LargeBodies(16 * MB, 8 * MB, wait_s=0.2)
    gc.disable()
    try:
        with budget.admit({"CONTENT_LENGTH": str(LARGE_BYTES + 1)}, mtom=True):
            Cycle()  # unreachable at once, freed only by a collection
        assert not [o for o in gc.get_objects() if isinstance(o, Cycle)]
    finally:
        gc.enable()

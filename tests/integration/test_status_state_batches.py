"""Batched state queries against the real status service over real gRPC (mutual TLS, real Kafka): callers mixed in one
call each get what their own single call gets, and one never sees what only the other may."""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ventanilla.api.v1 import invoice_pb2 as ipb, services_pb2 as pb, services_pb2_grpc as rpc
from ventanilla.config import Deadlines
from status_service.__main__ import build
from soap_edge.backends.channels import Channels
from soap_edge.backends.clients import Backends, Batching

from tests.support.backlog import produce_events
from tests.support.service_pki import dial
from tests.unit.domain.factories import registration

pytestmark = pytest.mark.integration
OWNER = registration().submitter_nif  # submitted invoices 1 and 2 (tests/support/backlog.py)
STRANGER = "99999999R"
MINE = ipb.InvoiceTuple(supplier_nif="B12345678", year=2026, series="A-", number="1")


@pytest.fixture
def status(kafka_settings):
    produce_events(kafka_settings.kafka.bootstrap_servers, kafka_settings.topics.invoice_events, 8)
    service = build(kafka_settings)
    service.start()
    try:
        assert service.startup.ready.wait(60)
        yield kafka_settings
    finally:
        service.stop()


def _single(stub, caller: pb.Caller, query: pb.StateQuery) -> pb.StateItem:
    if query.HasField("tuple"):
        return stub.FindStates(pb.StatesByTuples(caller=caller, tuples=[query.tuple]), timeout=10).items[0]
    return stub.GetStates(pb.StatesByIds(caller=caller, ids=[query.id]), timeout=10).items[0]


def test_mixed_callers_in_one_call_get_each_their_single_calls_answer(status):
    queries = [pb.StateQuery(caller=pb.Caller(nif=nif, request_id=f"r-{n}", read_own_writes=own), **key)
               for n, (nif, own, key) in enumerate([
                   (OWNER, False, {"id": 1}), (STRANGER, False, {"id": 1}), (OWNER, True, {"id": 2}),
                   (STRANGER, True, {"id": 2}), (OWNER, False, {"id": 99}), (OWNER, False, {"tuple": MINE}),
                   (STRANGER, False, {"tuple": MINE})])]
    with dial(status.addresses.status, "status") as channel:
        stub = rpc.StatusServiceStub(channel)
        batched = stub.GetStateBatch(pb.StateQueries(queries=queries), timeout=10).items
        singles = [_single(stub, q.caller, q) for q in queries]
    assert list(batched) == singles
    assert [i.state for i in batched[:4:2]] == [ipb.PAGADA, ipb.PAGADA]
    assert {i.error.key for i in (batched[1], batched[3], batched[4], batched[6])} == {
        "credenciales.error.facturainvalida"}
    assert batched[5].state == ipb.PAGADA


def test_the_edge_client_coalesces_concurrent_callers_and_answers_each_its_own(status, caplog):
    sizes: list[int] = []
    channels = Channels({"status": status.addresses.status}, 1 << 24,
                        open_channel=lambda address, options=(): dial(address, "status", options=options))
    client = Backends(channels, Deadlines(query_s=10.0, write_s=10.0, read_your_writes_s=5.0),
                      Batching(observed=sizes.append)).status
    with dial(status.addresses.status, "status") as channel:
        stub = rpc.StatusServiceStub(channel)
        expected = {nif: _single(stub, pb.Caller(nif=nif), pb.StateQuery(id=1)) for nif in (OWNER, STRANGER)}
    assert expected[OWNER].state == ipb.PAGADA and expected[STRANGER].error.key == "credenciales.error.facturainvalida"

    def ask(n: int) -> tuple[str, pb.StateItem]:
        nif = (OWNER, STRANGER)[n % 2]
        return nif, client.state(pb.Caller(nif=nif, request_id=f"{nif}-{n}"), 1)

    deadline, rounds = time.monotonic() + 60, 0
    try:
        with caplog.at_level(logging.INFO, logger="status.queries"), ThreadPoolExecutor(max_workers=8) as pool:
            while not _mixed_batch(caplog.records):
                assert time.monotonic() < deadline, f"no call carried both callers in {rounds} rounds: {sizes[-20:]}"
                for nif, item in pool.map(ask, range(rounds * 64, (rounds + 1) * 64)):
                    assert item == expected[nif]
                rounds += 1
    finally:
        channels.close()
    assert max(sizes) > 1 and sum(sizes) == 64 * rounds


def _mixed_batch(records) -> bool:
    """Whether the status service logged a call carrying both callers' request ids."""
    return any(r.getMessage() == "state batch" and {rid.split("-")[0] for rid in r.request_ids} == {OWNER, STRANGER}
               for r in records)

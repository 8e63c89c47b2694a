"""GetStateBatch: many callers' single state queries in one call, each answered and authorized as its own call."""
from __future__ import annotations

import logging
from datetime import date

import pytest

from status_service.grpc_api import StatusApi
from ventanilla.adapters.invoice_messages import state_to_pb
from ventanilla.api.v1 import invoice_pb2 as ipb, services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import InvoiceTuple, State

from tests.unit.status.test_query_freshness import SUPPLIER, setup  # noqa: F401 - the fixture

STRANGER = "99999999R"  # a valid NIF that neither submitted nor supplies invoice 7
MINE = InvoiceTuple(SUPPLIER, 2026, "A-", "0042", date(2026, 2, 27))


def test_each_member_is_answered_as_its_own_query_of_one_item(setup):  # noqa: F811
    _, _, _, queries = setup
    ids = [(SUPPLIER, 7, False), (STRANGER, 7, False), (SUPPLIER, 99, False)]
    tuples = [(STRANGER, MINE, False), (SUPPLIER, MINE, False)]
    by_id, by_tuple = queries.state_batch(ids, tuples)
    singles = [queries.states_by_ids(nif, [key], own) for nif, key, own in ids]
    singles_by_tuple = [queries.states_by_tuples(nif, [key], own) for nif, key, own in tuples]
    assert [_seen(i) for i in by_id] == [_seen(i) for (i,) in singles] == [
        State.REGISTRADA, ErrorKey.FACTURA_INVALIDA, ErrorKey.FACTURA_INVALIDA]
    assert [_seen(i) for i in by_tuple] == [_seen(i) for (i,) in singles_by_tuple] == [
        ErrorKey.FACTURA_INVALIDA, State.REGISTRADA]


def test_the_misses_of_a_batch_wait_once_for_the_log_end(setup):  # noqa: F811
    _, _, ends, queries = setup
    by_id, _ = queries.state_batch([(STRANGER, 7, False), (SUPPLIER, 98, False), (SUPPLIER, 7, False)], [])
    assert [_seen(i) for i in by_id] == [ErrorKey.FACTURA_INVALIDA, ErrorKey.FACTURA_INVALIDA, State.REGISTRADA]
    assert ends.calls == 1  # one round trip for both misses, as one caller's group query of both



def test_misses_by_id_and_by_tuple_in_one_batch_wait_once_together(setup):  # noqa: F811
    _, _, ends, queries = setup
    by_id, by_tuple = queries.state_batch([(STRANGER, 7, False), (SUPPLIER, 7, False)], [(STRANGER, MINE, False)])
    assert [_seen(i) for i in by_id] == [ErrorKey.FACTURA_INVALIDA, State.REGISTRADA]
    assert [_seen(i) for i in by_tuple] == [ErrorKey.FACTURA_INVALIDA]
    assert ends.calls == 1  # an id's miss and a tuple's miss: one round trip, not one per kind of key

def test_read_your_writes_is_each_members_own(setup):  # noqa: F811
    _, _, ends, queries = setup
    ends.ends = {0: 2}  # a write is in the log, not yet in the projection: a member reading its own write waits
    by_id, _ = queries.state_batch([(SUPPLIER, 7, False), (SUPPLIER, 7, True), (STRANGER, 7, False)], [])
    assert _seen(by_id[0]) is State.REGISTRADA  # the projection as applied, as its single call answers it
    assert _seen(by_id[1]) is ErrorKey.REGISTRO and _seen(by_id[2]) is ErrorKey.REGISTRO  # behind: try again
    assert ends.calls == 1
    with pytest.raises(DomainError) as single:  # what the flagged member's own call gets
        queries.states_by_ids(SUPPLIER, [7], own_writes=True)
    assert single.value.key is ErrorKey.REGISTRO


def test_the_grpc_answer_keeps_request_order_and_logs_every_members_request_id(setup, caplog):  # noqa: F811
    _, _, _, queries = setup
    mine = ipb.InvoiceTuple(supplier_nif=SUPPLIER, year=2026, series="A-", number="0042", issue_date="2026-02-27")
    request = pb.StateQueries(queries=[
        pb.StateQuery(caller=pb.Caller(nif=STRANGER, request_id="r-1"), id=7),
        pb.StateQuery(caller=pb.Caller(nif=SUPPLIER, request_id="r-2"), tuple=mine),
        pb.StateQuery(caller=pb.Caller(nif=SUPPLIER, request_id="r-3"), id=7),
        pb.StateQuery(caller=pb.Caller(nif=SUPPLIER, request_id="r-4"),
                      tuple=ipb.InvoiceTuple(supplier_nif=SUPPLIER, issue_date="2026-02-30"))])
    with caplog.at_level(logging.INFO, logger="status.queries"):
        answer = StatusApi(queries).GetStateBatch(request, None)
    registrada = pb.StateItem(state=state_to_pb(State.REGISTRADA))
    assert [item.error.key or item.state for item in answer.items] == [
        "credenciales.error.facturainvalida", registrada.state, registrada.state, ErrorKey.REGISTRO.value]
    (line,) = [r for r in caplog.records if r.getMessage() == "state batch"]
    assert line.request_ids == ["r-1", "r-2", "r-3", "r-4"] and line.items == 4


def _seen(item):
    return item.key if isinstance(item, DomainError) else item.state

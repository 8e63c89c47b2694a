"""Read-your-writes where a caller may read its own write, and no broker round trip anywhere else."""
from __future__ import annotations

from dataclasses import replace

import pytest

from status_service.handlers import Queries
from ventanilla.adapters.blob_store import DirectoryBlobStore
from ventanilla.adapters.catch_up import CatchUp
from ventanilla.adapters.projection_store import ProjectionStore
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.domain.invoice import InvoiceKey, State

from tests.unit.domain.factories import T0, cancel_requested, registered, registration

SUPPLIER = "B12345678"
TOPIC = "invoice-events"


class Ends:
    """The log's end offsets, as a broker would answer them; counts the round trips."""

    def __init__(self, ends: dict[int, int]):
        self.ends, self.calls = ends, 0

    def __call__(self) -> dict[int, int]:
        self.calls += 1
        return dict(self.ends)


@pytest.fixture
def setup(tmp_path):
    store = ProjectionStore(tmp_path / "projection.sqlite3")
    blobs = DirectoryBlobStore(tmp_path / "blobs")
    ends = Ends({0: 1})
    catch_up = CatchUp(ends, {}, timeout_s=0.3)
    receipt = registration(7).receipt.sha256
    (tmp_path / "blobs" / receipt[:2]).mkdir()
    (tmp_path / "blobs" / receipt[:2] / receipt).write_bytes(b"%PDF-1.7 receipt")
    store.apply(registered(7), TOPIC, 0, 0)
    catch_up.advanced(0, 1)
    return store, catch_up, ends, Queries(store, blobs, catch_up)


def test_an_invoice_the_projection_holds_is_answered_without_asking_the_broker(setup):
    _, _, ends, queries = setup
    assert [i.state for i in queries.states_by_ids(SUPPLIER, [7])] == [State.REGISTRADA]
    assert ends.calls == 0


def test_an_id_the_projection_lacks_waits_for_the_log_end_and_is_then_found(setup):
    store, catch_up, ends, queries = setup
    ends.ends = {0: 2}  # enviarFactura just appended invoice 8; the projection has not applied it yet
    with pytest.raises(DomainError) as refused:  # never "no such invoice" while behind: try again later
        queries.states_by_ids(SUPPLIER, [8])
    assert refused.value.key is ErrorKey.REGISTRO and ends.calls == 1
    second = replace(registration(8), key=InvoiceKey(SUPPLIER, 2026, "A-", "0043"))
    store.apply(InvoiceRegistered("e-reg-8", 8, T0, second), TOPIC, 0, 1)
    catch_up.advanced(0, 2)
    [item] = queries.states_by_ids(SUPPLIER, [8])
    assert item.id == 8


def test_an_unknown_id_is_told_only_once_caught_up(setup):
    _, _, ends, queries = setup
    [item] = queries.states_by_ids(SUPPLIER, [99])
    assert isinstance(item, DomainError) and item.key is ErrorKey.FACTURA_INVALIDA
    assert ends.calls == 1


def test_a_caller_reading_its_own_cancellation_waits_for_it(setup):
    store, catch_up, ends, queries = setup
    ends.ends = {0: 2}  # the cancellation is in the log, not yet in the projection
    assert queries.invoice_by_id(SUPPLIER, 7)[0].state is State.REGISTRADA  # anyone else: the projection as applied
    assert ends.calls == 0
    with pytest.raises(DomainError) as behind:
        queries.invoice_by_id(SUPPLIER, 7, own_writes=True)
    assert behind.value.key is ErrorKey.REGISTRO and ends.calls == 1
    store.apply(cancel_requested(invoice_id=7), TOPIC, 0, 1)
    catch_up.advanced(0, 2)
    assert queries.invoice_by_id(SUPPLIER, 7, own_writes=True)[0].state is State.ANULADA


def test_a_projection_known_to_be_behind_waits_even_for_an_invoice_it_holds(setup):
    _, catch_up, ends, queries = setup
    ends.ends = {0: 2}
    assert catch_up.wait() is False  # a reader learnt that the log has moved on: the projection is behind
    with pytest.raises(DomainError):
        queries.states_by_ids(SUPPLIER, [7])
    assert ends.calls == 2

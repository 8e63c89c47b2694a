"""The SQLite read model: idempotent application by offset, lookups, history, restart."""
import sqlite3

import pytest

from ventanilla.adapters.projection_store import SCHEMA_VERSION, ProjectionStore
from ventanilla.domain.invoice import InvoiceKey, State

from ..unit.domain.factories import cancel_rejected, cancel_requested, changed, registered

pytestmark = pytest.mark.integration
TOPIC = "t"


def test_events_apply_once_per_offset_and_survive_reopen(tmp_path):
    path = tmp_path / "p.sqlite3"
    store = ProjectionStore(path)
    events = [registered(), changed(State.REGISTRADA_RCF, 1), cancel_requested(2), cancel_rejected(3)]
    for offset, event in enumerate(events):
        assert store.apply(event, TOPIC, 0, offset)
    assert not store.apply(changed(State.REGISTRADA_RCF, 1), TOPIC, 0, 1)
    reopened = ProjectionStore(path)
    invoice = reopened.load(7)
    assert invoice.state is State.REGISTRADA_RCF
    assert invoice.cancellation.reason == "Error en el centro gestor"
    assert [h.state for h in invoice.history] == [State.REGISTRADA, State.REGISTRADA_RCF, State.ANULADA,
                                                   State.REGISTRADA_RCF]
    assert reopened.positions(TOPIC) == {0: 4}


def test_an_answer_without_history_has_the_same_state(tmp_path):
    store = ProjectionStore(tmp_path / "p.sqlite3")
    for offset, event in enumerate([registered(), changed(State.REGISTRADA_RCF, 1), cancel_requested(2)]):
        store.apply(event, TOPIC, 0, offset)
    full, answer = store.load(7), store.load(7, with_history=False)
    assert answer.history == () and len(full.history) == 3
    assert (answer.state, answer.state_remarks, answer.cancellation, answer.registration) == (
        full.state, full.state_remarks, full.cancellation, full.registration)
    assert store.find(full.registration.key, with_history=False).state is State.ANULADA


def test_find_by_business_key(tmp_path):
    store = ProjectionStore(tmp_path / "p.sqlite3")
    store.apply(registered(11), TOPIC, 2, 0)
    assert store.find(InvoiceKey("B12345678", 2026, "A-", "0042")).id == 11
    assert store.find(InvoiceKey("B12345678", 2025, "A-", "0042")) is None
    assert store.load(12) is None


def test_a_failed_application_leaves_no_trace(tmp_path):
    store = ProjectionStore(tmp_path / "p.sqlite3")
    store.apply(registered(11), TOPIC, 0, 0)
    with pytest.raises(sqlite3.IntegrityError):
        store.apply(registered(12), TOPIC, 0, 1)  # same business key, another id: refused by the unique index
    assert store.load(12) is None
    assert store.positions(TOPIC) == {0: 1}


def test_a_batch_applies_new_offsets_once_and_stores_positions_with_them(tmp_path):
    store = ProjectionStore(tmp_path / "p.sqlite3")
    events = [registered(), changed(State.REGISTRADA_RCF, 1), changed(State.CONTABILIZADA, 2)]
    assert store.apply_many([(e, TOPIC, 3, offset) for offset, e in enumerate(events)]) == 3
    assert store.apply_many([(events[2], TOPIC, 3, 2), (changed(State.PAGADA, 3), TOPIC, 3, 3)]) == 1
    invoice = store.load(7)
    assert invoice.state is State.PAGADA and invoice.seen_messages == {"m-1", "m-2", "m-3"}
    assert [h.message_id for h in invoice.history] == ["", "m-1", "m-2", "m-3"]
    assert store.positions(TOPIC) == {3: 4}


def test_a_store_of_an_older_shape_is_dropped_and_replayed(tmp_path):
    import sqlite3

    path = tmp_path / "p.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("CREATE TABLE invoices (id INTEGER PRIMARY KEY); CREATE TABLE positions (topic TEXT, "
                      "partition INTEGER, next_offset INTEGER); INSERT INTO positions VALUES ('t', 0, 9);")
    old.close()
    store = ProjectionStore(path)
    assert store.positions(TOPIC) == {}
    assert store.apply(registered(), TOPIC, 0, 0) and store.load(7).state is State.REGISTRADA


def test_a_tuple_finds_the_invoice_in_any_spelling_of_its_nif_and_it_keeps_its_own(tmp_path):
    from dataclasses import replace

    event = registered(21)
    written = replace(event.invoice.key, supplier_nif="ESB23103039")
    store = ProjectionStore(tmp_path / "p.sqlite3")
    store.apply(replace(event, invoice=replace(event.invoice, key=written)), TOPIC, 0, 0)
    for spelling in ("B23103039", "b-23103039", "ES B23103039", "ESB23103039"):
        found = store.find(InvoiceKey(spelling, written.year, written.series, written.number))
        assert found is not None and found.id == 21 and found.registration.key == written, spelling
    assert store.find(InvoiceKey("B12345674", written.year, written.series, written.number)) is None


def test_a_bulk_filled_store_stores_registration_payloads_as_read_and_equals_one_fed_event_by_event(tmp_path):
    from ventanilla.adapters.event_codec import decode_facts, encode

    events = [registered(), changed(State.REGISTRADA_RCF, 1), cancel_requested(), changed(State.RECHAZADA, 2),
              cancel_rejected()]
    live = ProjectionStore(tmp_path / "live.sqlite3")
    for offset, event in enumerate(events):
        live.apply(event, TOPIC, 0, offset)
    bulk = ProjectionStore(tmp_path / "bulk.sqlite3", bulk=True)
    decoded = [decode_facts(encode(e)) for e in events]
    assert bulk.apply_many([(d, TOPIC, 0, offset) for offset, d in enumerate(decoded)]) == len(events)
    assert bulk.load(7) == live.load(7) and bulk.positions(TOPIC) == live.positions(TOPIC) == {0: len(events)}
    bulk.seal()
    bulk.close()  # a bulk fill holds its file exclusively until closed
    blob = sqlite3.connect(tmp_path / "bulk.sqlite3").execute("SELECT registration FROM invoices").fetchone()[0]
    assert blob == decoded[0].facts


def _schema(path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return [*db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name"),
                db.execute("PRAGMA user_version").fetchone()]


def test_a_sealed_bulk_fill_has_the_live_schema_and_its_key_index_refuses_a_second_invoice_with_a_key(tmp_path):
    from ventanilla.adapters.event_codec import encode

    ProjectionStore(tmp_path / "live.sqlite3").close()
    bulk = ProjectionStore(tmp_path / "bulk.sqlite3", bulk=True)
    assert bulk.replay_many([(encode(registered(7)), TOPIC, 0, 0)]) == 1
    bulk.seal()
    bulk.close()
    assert _schema(tmp_path / "bulk.sqlite3") == _schema(tmp_path / "live.sqlite3")
    reopened = ProjectionStore(tmp_path / "bulk.sqlite3")  # as the status service opens a swapped-in rebuild
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: invoices.supplier_nif"):
        reopened.replay_many([(encode(registered(8)), TOPIC, 0, 1)])  # ids 7 and 8 share a business key


def test_a_bulk_fill_refuses_a_second_invoice_with_a_key_when_sealed_as_the_live_store_does_at_once(tmp_path):
    from ventanilla.adapters.event_codec import encode

    log = [(encode(registered(7)), TOPIC, 0, 0), (encode(registered(8)), TOPIC, 0, 1)]  # one key, two ids
    live = ProjectionStore(tmp_path / "live.sqlite3")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: invoices.supplier_nif"):
        live.replay_many(log)
    bulk = ProjectionStore(tmp_path / "bulk.sqlite3", bulk=True)
    bulk.replay_many(log)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: invoices.supplier_nif"):
        bulk.seal()


def test_a_bulk_fill_that_was_not_sealed_is_dropped_when_opened(tmp_path):
    from ventanilla.adapters.event_codec import encode

    bulk = ProjectionStore(tmp_path / "p.sqlite3", bulk=True)
    bulk.replay_many([(encode(registered(7)), TOPIC, 0, 0)])
    bulk.close()  # a fill that stopped before `seal`
    store = ProjectionStore(tmp_path / "p.sqlite3")
    assert store.load(7) is None and store.positions(TOPIC) == {}
    assert _schema(tmp_path / "p.sqlite3")[-1] == (SCHEMA_VERSION,)


def test_a_run_of_one_partition_skips_what_is_below_the_stored_position(tmp_path):
    from ventanilla.adapters.event_codec import encode

    events = [encode(e) for e in (registered(), changed(State.REGISTRADA_RCF, 1), cancel_requested(2),
                                  cancel_rejected(3))]
    store = ProjectionStore(tmp_path / "p.sqlite3")
    assert store.replay_run(TOPIC, 0, [0, 1], events[:2]) == 2
    assert store.replay_run(TOPIC, 0, [1, 2, 3], events[1:]) == 2  # offset 1 again: skipped
    assert store.replay_run(TOPIC, 0, [2, 3], events[2:]) == 0
    assert store.replay_run(TOPIC, 1, [5], events[:1]) == 1  # another partition, its own position (changes no row)
    assert store.positions(TOPIC) == {0: 4, 1: 6}
    invoice = store.load(7)
    assert [h.state for h in invoice.history] == [State.REGISTRADA, State.REGISTRADA_RCF, State.ANULADA,
                                                   State.REGISTRADA_RCF]

"""What must hold after any run of faults, read from the clients' journal, the log and the projection."""
from __future__ import annotations

import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from ventanilla.adapters.event_codec import decode
from ventanilla.adapters.log_reader import read_to_end
from ventanilla.adapters.projection_rebuild import replay
from ventanilla.api.v1 import backoffice_pb2
from ventanilla.domain.errors import REGISTRATION_IN_DOUBT
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.domain.nif import canonical

from tests.e2e.own_stack import SELLER
from tests.support.projection_tables import differences, rows

from .clients import REGISTRO, Journal
from .load import Supplier
from .stack import ChaosStack



def everything(stack: ChaosStack, journal: Journal, supplier: Supplier, settle_s: float = 120.0) -> None:
    """Run every check; each failure is a violation in the journal."""
    events = [decode(r.value) for batch in read_to_end(stack.settings.kafka.bootstrap_servers,
                                                         stack.settings.topics.invoice_events) for r in batch]
    registrations = [e for e in events if isinstance(e, InvoiceRegistered)]
    one_id_per_key(journal, registrations)
    registro_registered_nothing(journal, registrations)
    back_office_applied_once(stack, journal, settle_s)
    states = _states(supplier, sorted(set(journal.ids())))
    queryable(journal, supplier, states)
    cancellations_stand(journal, states)
    rebuild_equals_live(stack, journal, settle_s)


def _states(supplier: Supplier, ids: list[int]) -> dict[int, str | None]:
    """The state consultas show for each id (None: an error item), 500 ids per group query."""
    states = {}
    for start in range(0, len(ids), 500):
        body = "".join(f"<facturaId>{i}</facturaId>" for i in ids[start:start + 500])
        answer = supplier.until(lambda: supplier.client.call("consultarGrupoEstadosFactura", body), "group query")
        for item in answer.result.iter("resultadoEstadosFacturas") if answer.ok else ():
            states[int(item.findtext("id"))] = item.findtext("respuestaEstadoFactura/estadoFactura")
    return states


def queryable(journal: Journal, supplier: Supplier, states: dict[int, str | None]) -> None:
    """Every invoice answered with an id or facturaRepetida can be queried (by id, or by its values)."""
    for number, invoice_id in sorted(journal.registered.items()):
        if states.get(invoice_id) is None and not supplier.read_back(
                f"<idFactura>{invoice_id}</idFactura>", f"after the run: {invoice_id} ({number})", "consultarFactura"):
            journal.violation(f"invoice {invoice_id} ({number}), answered with its id, is not queryable")
    for number, query in sorted(journal.repeated.items()):
        if not supplier.read_back(query["tuple"], f"after the run: {number}", "consultarFacturaPorValores"):
            journal.violation(f"invoice {number}, answered facturaRepetida, is not queryable by its values")


def one_id_per_key(journal: Journal, registrations: list[InvoiceRegistered]) -> None:
    """No business key has two ids in the log, and every id a client was given is registered there."""
    ids = defaultdict(set)
    for event in registrations:
        key = event.invoice.key
        ids[(canonical(key.supplier_nif), key.year, key.series, key.number)].add(event.invoice_id)
    for key, found in ids.items():
        if len(found) > 1:
            journal.violation(f"business key {key} registered under {len(found)} ids: {sorted(found)}")
    logged = {e.invoice_id for e in registrations}
    for number, invoice_id in journal.registered.items():
        if invoice_id not in logged:
            journal.violation(f"invoice {invoice_id} ({number}) was answered but is not in the log")


def registro_registered_nothing(journal: Journal, registrations: list[InvoiceRegistered]) -> None:
    """An attempt answered facturae.error.registro registered nothing (no registration made during it).

    Unless the answer said that the outcome could not be confirmed (REGISTRATION_IN_DOUBT: the registry
    died in the middle of the call, or the log could not be read back in time); the resubmission then
    told the truth, which `queryable` and `one_id_per_key` check.
    """
    made = defaultdict(list)
    for event in registrations:
        if event.invoice.key.supplier_nif == SELLER:
            made[event.invoice.key.number].append((event.invoice.registered_at.timestamp(), event.invoice_id))
    for number, attempts in journal.attempts.items():
        for attempt in attempts:
            if attempt.key != REGISTRO or REGISTRATION_IN_DOUBT in attempt.detail:
                continue
            during = [i for at, i in made.get(number, ()) if attempt.started <= at <= attempt.ended]
            if during:
                journal.violation(f"invoice {number}: answered {REGISTRO} ({attempt.detail!r}) after "
                                  f"{attempt.ended - attempt.started:.1f} s, yet registered as {during} by that attempt")


def back_office_applied_once(stack: ChaosStack, journal: Journal, settle_s: float) -> None:
    """Every message sent is decided (applied or refused) and none is applied twice."""
    deadline = time.monotonic() + settle_s
    while True:
        events = [decode(r.value) for batch in read_to_end(stack.settings.kafka.bootstrap_servers,
                                                             stack.settings.topics.invoice_events) for r in batch]
        applied = Counter((e.invoice_id, e.message_id) for e in events if getattr(e, "message_id", ""))
        refused = {backoffice_pb2.UpdateRefused.FromString(r.value).refused_message_id
                   for batch in read_to_end(stack.settings.kafka.bootstrap_servers,
                                            stack.settings.topics.backoffice_feedback) for r in batch}
        undecided = [(i, m) for i, ms in journal.sent_updates.items() for m in ms
                     if (i, m) not in applied and m not in refused]
        if not undecided or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    for invoice_id, message_id in undecided:
        journal.violation(f"back-office message {message_id} for {invoice_id} never applied nor refused")
    for (invoice_id, message_id), count in applied.items():
        if count > 1:
            journal.violation(f"back-office message {message_id} applied {count} times to {invoice_id}")


def cancellations_stand(journal: Journal, states: dict[int, str | None]) -> None:
    """Every cancellation a supplier was told of shows ANULADA (the back office never touched those)."""
    for invoice_id in sorted(journal.cancelled):
        if states.get(invoice_id) != "ANULADA":
            journal.violation(f"invoice {invoice_id} was cancelled but shows {states.get(invoice_id)}")


def rebuild_equals_live(stack: ChaosStack, journal: Journal, settle_s: float) -> None:
    """Once the live projection has reached the log's end, a replay from offset 0 equals it row by row."""
    settings = stack.settings
    live = settings.path("status", "projection.sqlite3")
    ends = _end_offsets(settings.kafka.bootstrap_servers, settings.topics.invoice_events)
    deadline = time.monotonic() + settle_s
    while rows(live, "positions") != sorted((settings.topics.invoice_events, p, o) for p, o in ends.items() if o):
        if time.monotonic() > deadline:
            return journal.violation(f"the live projection did not reach the log's end {ends} in {settle_s} s")
        time.sleep(0.5)
    with tempfile.TemporaryDirectory(prefix="rebuild-") as tmp:
        fresh = Path(tmp) / "rebuilt.sqlite3"
        replay(settings.kafka.bootstrap_servers, settings.topics.invoice_events, fresh, reader_process=True)
        for difference in differences(live, fresh):
            journal.violation(f"rebuild differs from the live projection in {difference}")


def _end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()

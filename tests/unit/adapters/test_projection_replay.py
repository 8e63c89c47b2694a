"""The row replay (`projection_replay`) writes the same rows as the domain fold, over generated logs."""
from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from datetime import timedelta

import pytest

from ventanilla.adapters.event_codec import decode_facts, encode
from ventanilla.adapters.invoice_messages import registration_to_pb, timestamp
from ventanilla.adapters.projection_store import ProjectionStore
from ventanilla.api.v1 import events_pb2
from ventanilla.domain.invoice import Channel, InvoiceKey, State
from ventanilla.domain.lifecycle import TRANSITIONS

from ..domain.factories import (T0, cancel_accepted, cancel_rejected, cancel_requested, changed, registered,
                                report_refused)

TABLES = ("invoices", "history", "messages", "positions")
TARGETS = list(TRANSITIONS) + [State.ANULADA]


def _registration(invoice_id: int, minute: int) -> bytes:
    event = registered(invoice_id)
    nif = random.choice(["B12345678", "b-12345678", "B 12345678"])  # the key column holds the canonical form
    reg = replace(event.invoice, key=InvoiceKey(nif, 2026, "A-", f"{invoice_id:04d}"),
                  channel=Channel("B23103039", "plat-1") if invoice_id % 3 == 0 else None)
    event = replace(event, occurred_at=T0 + timedelta(minutes=minute, microseconds=invoice_id), invoice=reg)
    if invoice_id % 5 != 0:
        return encode(event)
    v1 = events_pb2.EventEnvelope(type=event.TYPE, version=1, event_id=event.event_id, invoice_id=invoice_id,
                                  payload=events_pb2.InvoiceRegistered(invoice=registration_to_pb(reg))
                                  .SerializeToString())
    v1.occurred_at.CopyFrom(timestamp(event.occurred_at))
    return v1.SerializeToString()  # a v1 registration, upcast by both folds


def _log(rng: random.Random, invoices: int, length: int) -> list[bytes]:
    """Events of every type in a random order per invoice: repeats, refused moves, events before a registration,
    verdicts without a pending cancellation, and refusal records of applied, ignored and unknown messages."""
    out, messages, ids = [], {i: [] for i in range(1, invoices + 1)}, {i: ["", "m-0"] for i in range(1, invoices + 1)}
    for minute in range(1, length + 1):
        invoice_id = rng.randint(1, invoices)
        kind = rng.choices(["reg", "change", "cancel", "reject", "accept", "refused", "repeat"],
                           [2, 6, 2, 1, 1, 2, 1])[0]
        message = rng.choice(["", f"m-{minute}"]) if kind == "change" else f"v-{minute}"
        if kind == "reg":
            out.append(_registration(invoice_id, minute))
            continue
        if kind == "repeat" and messages[invoice_id]:
            out.append(rng.choice(messages[invoice_id]))
            continue
        event = {
            "change": lambda: replace(changed(rng.choice(TARGETS), minute, invoice_id), message_id=message),
            "cancel": lambda: cancel_requested(minute, invoice_id),
            "reject": lambda: cancel_rejected(minute, invoice_id),
            "accept": lambda: cancel_accepted(minute, invoice_id),
            "refused": lambda: report_refused(rng.choice(ids[invoice_id]), minute, invoice_id),
            "repeat": lambda: changed(State.REGISTRADA_RCF, minute, invoice_id),
        }[kind]()
        out.append(encode(event))
        messages[invoice_id].append(out[-1])
        ids[invoice_id].append(getattr(event, "message_id", ""))
    return out


def _rows(store: ProjectionStore, path) -> dict[str, list]:
    store.close()
    with sqlite3.connect(path) as db:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


def _both(tmp_path, log: list[bytes], batch: int) -> tuple[dict, dict]:
    folded, replayed = ProjectionStore(tmp_path / "fold.sqlite3"), ProjectionStore(tmp_path / "replay.sqlite3")
    records = [(value, "t", 0, offset) for offset, value in enumerate(log)]
    for start in range(0, len(records), batch):
        chunk = records[start:start + batch]
        assert folded.apply_many([(decode_facts(v), t, p, o) for v, t, p, o in chunk]) == len(chunk)
        assert replayed.replay_many(chunk) == len(chunk)
    assert replayed.replay_many(records[:batch]) == 0  # a redelivered batch changes nothing
    return _rows(folded, tmp_path / "fold.sqlite3"), _rows(replayed, tmp_path / "replay.sqlite3")


@pytest.mark.parametrize("seed, batch", [(1, 1), (2, 7), (3, 50), (4, 10_000), (5, 3)])
def test_the_row_replay_writes_the_rows_of_the_domain_fold(tmp_path, seed, batch):
    rng = random.Random(seed)
    random.seed(seed)
    log = _log(rng, invoices=12, length=400)
    folded, replayed = _both(tmp_path, log, batch)
    assert replayed == folded
    states = {row[6] for row in folded["invoices"]}
    assert len(folded["invoices"]) > 5 and len(states) >= 3, "the log exercised too little"
    assert any(row[2] for row in folded["messages"]), "no refusal was recorded"
    verdicts = {row[6][:1] for row in folded["history"] if row[4] == "rcf-canarias"}  # message ids: m-, v-, none
    assert {row[2] for row in folded["history"]} >= {"ANULADA", "REGISTRADA_RCF"} and verdicts == {"m", "v", ""}


def test_a_timestamp_s_text_is_the_datetime_s_isoformat():
    from google.protobuf.timestamp_pb2 import Timestamp

    from ventanilla.adapters.invoice_messages import moment
    from ventanilla.adapters.projection_replay import iso_text

    rng = random.Random(9)
    stamps = [Timestamp(seconds=rng.randint(0, 4_102_444_800), nanos=rng.choice([0, 1000, rng.randint(0, 999_999_999)]))
              for _ in range(20_000)] + [Timestamp(seconds=0), Timestamp(seconds=86_399, nanos=999_999_999)]
    assert [iso_text(s) for s in stamps] == [moment(s).isoformat() for s in stamps]


def test_a_cancellation_at_every_state_of_the_lifecycle_gets_the_rows_of_the_domain_fold(tmp_path):
    """Walk each path of the transition table, ask for a cancellation at its end and give each verdict: the rare
    states (PAGADA, RECHAZADA) meet a cancellation here, which random logs seldom reach."""
    paths = [[], [State.REGISTRADA_RCF], [State.REGISTRADA_RCF, State.CONTABILIZADA],
             [State.REGISTRADA_RCF, State.CONTABILIZADA, State.PAGADA], [State.REGISTRADA_RCF, State.RECHAZADA]]
    log, minute, invoice_id = [], 0, 0
    for path in paths:
        for verdict in (cancel_accepted, cancel_rejected):
            invoice_id += 1
            log.append(_registration(invoice_id, minute := minute + 1))
            for state in path:
                log.append(encode(changed(state, minute := minute + 1, invoice_id)))
            log.append(encode(cancel_requested(minute := minute + 1, invoice_id)))
            log.append(encode(verdict(minute := minute + 1, invoice_id)))
    folded, replayed = _both(tmp_path, log, 4)
    assert replayed == folded
    assert {row[2] for row in folded["history"]} >= {"PAGADA", "RECHAZADA", "ANULADA"}

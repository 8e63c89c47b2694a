"""Event envelopes: round trips, and golden payloads of every (type, version) ever written."""
from pathlib import Path

import pytest

from ventanilla.adapters.event_codec import CODECS, UnknownEventType, decode, decode_facts, encode
from ventanilla.adapters.invoice_messages import registration_from_pb
from ventanilla.adapters.registration_facts import upcast_v1
from ventanilla.api.v1 import events_pb2, invoice_pb2
from ventanilla.domain.invoice import State

from ..domain.factories import (
    cancel_accepted,
    cancel_rejected,
    cancel_requested,
    changed,
    registered,
    report_refused,
)

GOLDEN = Path(__file__).parent / "golden"

EXAMPLES = {
    "ventanilla.invoice.registered.v1": registered(),
    "ventanilla.invoice.registered.v2": registered(),
    "ventanilla.invoice.status_changed.v1": changed(State.REGISTRADA_RCF),
    "ventanilla.invoice.cancellation_requested.v1": cancel_requested(),
    "ventanilla.invoice.cancellation_rejected.v1": cancel_rejected(),
    "ventanilla.invoice.cancellation_accepted.v1": cancel_accepted(),
    "ventanilla.invoice.backoffice_report_refused.v1": report_refused(),
}


def test_every_codec_has_a_golden_example():
    assert {f"{t}.v{v}" for t, v in CODECS} == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_golden_payload_decodes_to_the_same_event(name):
    golden = (GOLDEN / f"{name}.bin").read_bytes()
    assert decode(golden) == EXAMPLES[name]
    assert decode(encode(EXAMPLES[name])) == EXAMPLES[name]


READ_ONLY = {"ventanilla.invoice.registered.v1"}  # upcast when read, never written again
WRITTEN = sorted(set(EXAMPLES) - READ_ONLY)


@pytest.mark.parametrize("name", WRITTEN)
def test_envelope_names_type_and_version_not_module_paths(name):
    envelope = events_pb2.EventEnvelope.FromString(encode(EXAMPLES[name]))
    assert f"{envelope.type}.v{envelope.version}" == name
    assert envelope.invoice_id == 7 and envelope.event_id


@pytest.mark.parametrize("name", WRITTEN)
def test_the_golden_payload_is_what_this_build_writes(name):
    assert encode(EXAMPLES[name]) == (GOLDEN / f"{name}.bin").read_bytes()


def test_a_registration_is_written_as_v2_facts_only():
    envelope = events_pb2.EventEnvelope.FromString(encode(registered()))
    fields = {f.name for f, _ in events_pb2.InvoiceRegisteredV2.FromString(envelope.payload).ListFields()}
    assert (envelope.type, envelope.version) == ("ventanilla.invoice.registered", 2)
    assert not fields & {"state", "state_remarks", "cancellation_reason", "cancellation_requested_at",
                         "cancellation_refused", "id"}


def test_the_v1_upcaster_keeps_every_fact_and_drops_the_query_fields():
    v1 = events_pb2.EventEnvelope.FromString((GOLDEN / "ventanilla.invoice.registered.v1.bin").read_bytes())
    v2 = events_pb2.EventEnvelope.FromString((GOLDEN / "ventanilla.invoice.registered.v2.bin").read_bytes())
    upcast = upcast_v1(events_pb2.InvoiceRegistered.FromString(v1.payload))
    assert upcast == events_pb2.InvoiceRegisteredV2.FromString(v2.payload)
    answer = invoice_pb2.Invoice(state=invoice_pb2.ANULADA, cancellation_reason="x", cancellation_refused=True)
    assert upcast_v1(events_pb2.InvoiceRegistered(invoice=answer)) == upcast_v1(events_pb2.InvoiceRegistered())


def test_unknown_type_is_refused_loudly():
    envelope = events_pb2.EventEnvelope(type="ventanilla.invoice.teleported", version=1, event_id="x", invoice_id=1)
    with pytest.raises(UnknownEventType):
        decode(envelope.SerializeToString())


def test_a_registration_through_an_integrator_platform_records_its_channel_in_v2():
    """The channel fields (16, 17) are compatible additions: older v2 payloads decode with no channel (above)."""
    from dataclasses import replace

    from ventanilla.domain.invoice import Channel

    event = registered()
    event = replace(event, invoice=replace(event.invoice, channel=Channel("B23103039", "plat-1")))
    golden = (GOLDEN / "ventanilla.invoice.registered.v2.channel.bin").read_bytes()
    assert encode(event) == golden and decode(golden) == event
    assert decode((GOLDEN / "ventanilla.invoice.registered.v2.bin").read_bytes()).invoice.channel is None


def test_the_status_projection_keeps_the_submitting_integrator():
    """The projection stores a registration as invoice.proto's Invoice: the channel survives the round trip."""
    from dataclasses import replace

    from ventanilla.adapters.invoice_messages import registration_from_pb, registration_to_pb
    from ventanilla.domain.invoice import Channel

    reg = replace(registered().invoice, channel=Channel("B23103039", "plat-1"))
    assert registration_from_pb(registration_to_pb(reg), reg.id) == reg


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_decode_facts_gives_the_event_and_a_registration_s_v2_payload(name):
    golden = (GOLDEN / f"{name}.bin").read_bytes()
    event, facts = decode_facts(golden)
    assert event == decode(golden)
    if not name.startswith("ventanilla.invoice.registered."):
        assert facts is None
        return
    assert registration_from_pb(events_pb2.InvoiceRegisteredV2.FromString(facts), event.invoice_id) == event.invoice
    if name.endswith(".v2"):  # kept as read, not encoded again
        assert facts == events_pb2.EventEnvelope.FromString(golden).payload


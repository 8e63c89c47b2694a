"""Event envelopes: round trips, and golden payloads of every (type, version) ever written."""
from pathlib import Path

import pytest

from ventanilla.adapters.event_codec import CODECS, UnknownEventType, decode, encode
from ventanilla.api.v1 import events_pb2
from ventanilla.domain.invoice import State

from ..domain.factories import cancel_accepted, cancel_rejected, cancel_requested, changed, registered

GOLDEN = Path(__file__).parent / "golden"

EXAMPLES = {
    "ventanilla.invoice.registered.v1": registered(),
    "ventanilla.invoice.status_changed.v1": changed(State.REGISTRADA_RCF),
    "ventanilla.invoice.cancellation_requested.v1": cancel_requested(),
    "ventanilla.invoice.cancellation_rejected.v1": cancel_rejected(),
    "ventanilla.invoice.cancellation_accepted.v1": cancel_accepted(),
}


def test_every_codec_has_a_golden_example():
    assert {f"{t}.v{v}" for t, v in CODECS} == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_golden_payload_decodes_to_the_same_event(name):
    golden = (GOLDEN / f"{name}.bin").read_bytes()
    assert decode(golden) == EXAMPLES[name]
    assert decode(encode(EXAMPLES[name])) == EXAMPLES[name]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_envelope_names_type_and_version_not_module_paths(name):
    envelope = events_pb2.EventEnvelope.FromString(encode(EXAMPLES[name]))
    assert f"{envelope.type}.v{envelope.version}" == name
    assert envelope.invoice_id == 7 and envelope.event_id


def test_unknown_type_is_refused_loudly():
    envelope = events_pb2.EventEnvelope(type="ventanilla.invoice.teleported", version=1, event_id="x", invoice_id=1)
    with pytest.raises(UnknownEventType):
        decode(envelope.SerializeToString())

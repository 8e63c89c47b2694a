"""Golden payloads of every integrator event version: what the integrators topic carried when published."""
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ventanilla.adapters.integrator_codec import MESSAGES, decode, encode
from ventanilla.domain import integrator_events as ev

GOLDEN = Path(__file__).parent / "golden"
AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
HEAD = dict(event_id="c1:0", nif="Q2826000H", occurred_at=AT, actor_nif="12345678Z")
FP = "ab" * 32
EXAMPLES = [
    ev.SignedUp(**HEAD, name="Ayuntamiento de Pruebas", email="alta@ejemplo.es", third_party=True,
                signed_document=b"<AltaIntegrador/>"),
    ev.ProfileChanged(**HEAD, commercial_name="Pruebas", email="a@ejemplo.es", third_party=False),
    ev.NotificationsChanged(**HEAD, primary_email="a@ejemplo.es", secondary_email="b@ejemplo.es", system_notices=True),
    ev.PersonalDataChanged(**HEAD, name="Ana", surname1="Pérez", surname2="Gil", email="ana@ejemplo.es",
                           phone="+34 600000000", language="es"),
    ev.CertificateRegistered(**HEAD, fingerprint=FP, alias="sistema", der=b"\x30\x03", subject="CN=SISTEMA",
                             issuer="CN=CA", serial_number="12345", holder_nif="Q2826000H", not_before=AT,
                             not_after=datetime(2027, 3, 2, 10, 0, tzinfo=timezone.utc)),
    ev.CertificateRemoved(**HEAD, fingerprint=FP),
    ev.CertificateExpiryNoticed(**HEAD, fingerprint=FP, days=30),
    ev.PlatformCreated(**HEAD, platform_id="p1", name="Contabilidad",
                       roles=frozenset({ev.Role.SENDING, ev.Role.RECEIVING}), fingerprint=FP),
    ev.PlatformRenamed(**HEAD, platform_id="p1", name="Contabilidad general"),
    ev.PlatformCertificateAdded(**HEAD, platform_id="p1", fingerprint=FP),
    ev.PlatformCertificateRemoved(**HEAD, platform_id="p1", fingerprint=FP),
    ev.PlatformDeleted(**HEAD, platform_id="p1"),
    ev.PlatformApproved(**HEAD, platform_id="p1"),
    ev.PlatformRefused(**HEAD, platform_id="p1", reason="No es un RCF"),
    ev.Dir3UnitAttached(**HEAD, platform_id="p1", code="L01280796", name="Ayuntamiento de Madrid"),
    ev.Dir3UnitDetached(**HEAD, platform_id="p1", code="L01280796"),
    ev.UserAuthorized(**HEAD, user_nif="12345678Z", name="Ana", surname1="Pérez", surname2="", email="ana@ejemplo.es"),
    ev.AuthorizationRevoked(**HEAD, user_nif="12345678Z"),
    ev.NoticePublished(**{**HEAD, "nif": ev.NOTICES_KEY}, notice_id="n1", title="Parada", body="El sábado."),
]


def golden_name(event) -> str:
    return f"{event.TYPE}.v{event.VERSION}"


@pytest.mark.parametrize("event", EXAMPLES, ids=golden_name)
def test_golden_payload_decodes_to_the_example_and_the_example_encodes_to_it(event):
    path = GOLDEN / f"{golden_name(event)}.bin"
    assert path.exists(), f"a new event version needs its golden payload: write encode(event) to {path.name} once"
    assert decode(path.read_bytes()) == event
    assert encode(event) == path.read_bytes()


def test_every_event_type_and_version_has_a_golden_example():
    assert {golden_name(e) for e in EXAMPLES} == {f"{t}.v{v}" for t, v in MESSAGES}
    assert {type(e) for e in EXAMPLES} == set(ev.IntegratorEvent.__subclasses__())

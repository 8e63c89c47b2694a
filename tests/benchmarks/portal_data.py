"""The portal benchmark's data: integrators with certificates and platforms, on a private broker's topic."""
from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from kafka import KafkaConsumer

from ventanilla import pki
from ventanilla.adapters.catch_up import CatchUp, end_offsets_reader
from ventanilla.adapters.integrator_codec import decode
from ventanilla.adapters.integrator_log import KafkaIntegratorLog
from ventanilla.adapters.portal_projection import PortalProjection
from ventanilla.adapters.projector import Projector
from ventanilla.domain import integrator_events as ev

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
CERTIFICATES, PLATFORMS = 5, 2  # per integrator: 1,000 integrators -> 5,000 certificates, 2,000 platforms


def nif(n: int) -> str:
    return f"B{n:08d}"


def platform_id(n: int, p: int) -> str:
    return f"{nif(n)}-p{p}"


def integrator_events(n: int, der: bytes) -> list[ev.IntegratorEvent]:
    """One integrator's history: sign-up, certificates, platforms (the first holds two certificates)."""
    who = nif(n)
    events, count = [], 0

    def head():
        nonlocal count
        count += 1
        return dict(event_id=f"{who}:{count}", nif=who, occurred_at=AT + timedelta(minutes=count), actor_nif=who)

    events.append(ev.SignedUp(**head(), name=f"Integrador {n:04d} SL", email=f"i{n}@ejemplo.es", third_party=False,
                              signed_document=b"<AltaIntegrador/>"))
    prints = [hashlib.sha256(f"{who}-{k}".encode()).hexdigest() for k in range(CERTIFICATES)]
    for k, fingerprint in enumerate(prints):
        events.append(ev.CertificateRegistered(
            **head(), fingerprint=fingerprint, alias=f"sistema-{k}", der=der, subject=f"CN=SISTEMA {k},O={who}",
            issuer="CN=Portal Bench CA", serial_number=str(1000 + k), holder_nif=who, not_before=AT,
            not_after=AT + timedelta(days=25 + 200 * k)))
    for p in range(PLATFORMS):
        events.append(ev.PlatformCreated(**head(), platform_id=platform_id(n, p), name=f"Plataforma {p}",
                                         roles=frozenset({ev.Role.SENDING}), fingerprint=prints[p]))
    events.append(ev.PlatformCertificateAdded(**head(), platform_id=platform_id(n, 0), fingerprint=prints[PLATFORMS]))
    return events


def load_topic(bootstrap: str, topic: str, integrators: int) -> int:
    """Append every integrator's events to the topic (keyed by NIF); how many."""
    ca = pki.issue_ca(pki.name("Portal Bench CA"))
    der = pki.issue_leaf(ca, pki.name("SISTEMA"), pki.Usage.CLIENT).certificate.public_bytes(serialization.Encoding.DER)
    log, total = KafkaIntegratorLog(bootstrap, topic), 0
    try:
        for start in range(0, integrators, 100):
            batch = [e for n in range(start, min(integrators, start + 100)) for e in integrator_events(n, der)]
            log.append(batch)
            total += len(batch)
    finally:
        log.close()
    return total


def rebuild(bootstrap: str, topic: str, target: Path) -> dict:
    """Project the whole topic from offset 0 into a new projection with the portal's projector; events/s."""
    store = PortalProjection(target)
    catch_up = CatchUp(end_offsets_reader(bootstrap, topic, "bench-ends"), {}, 600.0)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", max_poll_records=2000)
    projector = Projector(consumer, store, topic, catch_up, decode)
    started = time.perf_counter()
    thread = threading.Thread(target=projector.run, daemon=True)
    thread.start()
    assert catch_up.wait(), "the projection did not catch up"
    seconds = time.perf_counter() - started
    projector.stop()
    thread.join(timeout=30)
    consumer.close()
    events = sum(store.positions(topic).values())
    return {"events": events, "seconds": round(seconds, 2), "events_per_s": round(events / seconds)}


def read_only(bootstrap: str, topic: str, events: int) -> dict:
    """The same topic consumed and decoded without a projection (what the rebuild is compared with)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", max_poll_records=2000)
    consumer.subscribe([topic])
    started, seen = time.perf_counter(), 0
    while seen < events and time.perf_counter() - started < 300:
        for records in consumer.poll(timeout_ms=500).values():
            seen += len([decode(r.value) for r in records])
    seconds = time.perf_counter() - started
    consumer.close()
    return {"events": seen, "seconds": round(seconds, 2), "events_per_s": round(seen / seconds)}

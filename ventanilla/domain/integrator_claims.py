"""What a decision claims before its events are appended: the integrator's next version and certificates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from ventanilla.domain import integrator_events as ev
from ventanilla.domain.integrator import Integrator


class Conflict(Exception):
    """Another writer changed the integrator since its state was read: read again and decide again."""


@dataclass(frozen=True)
class Claim:
    """Events decided against version `expected` of `nif` make it `version`; the fingerprints they take and free."""

    nif: str
    expected: int
    version: int
    take: tuple[str, ...]
    release: tuple[str, ...]
    at: datetime
    held: tuple[str, ...] = ()  # the live certificates of the state decided against (restored after a crash)


def version_of(state: Integrator | None) -> int:
    """How many events the state folds (0: nothing known)."""
    return state.version if state is not None else 0


def claim_for(state: Integrator | None, events: Sequence[ev.IntegratorEvent], at: datetime) -> Claim | None:
    """The claim of events decided against a state; None for events outside any integrator (notices)."""
    if not events or events[0].nif == ev.NOTICES_KEY:
        return None
    expected = version_of(state)
    held = tuple(sorted(f for f, c in state.certificates.items() if not c.removed)) if state else ()
    return Claim(events[0].nif, expected, expected + len(events),
                 tuple(e.fingerprint for e in events if isinstance(e, ev.CertificateRegistered)),
                 tuple(e.fingerprint for e in events if isinstance(e, ev.CertificateRemoved)), at, held)

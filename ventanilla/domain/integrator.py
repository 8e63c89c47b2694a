"""The integrator aggregate's state, folded from its events (the transition table is EVOLVERS)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from functools import reduce
from typing import Iterable

from ventanilla.domain import integrator_events as ev
from ventanilla.domain.integrator_events import Role

EXPIRING_WITHIN = timedelta(days=30)


class PlatformState(str, Enum):
    """Where a platform stands: sending-only platforms are active at once, RCF ones wait for staff."""

    ACTIVE = "active"
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    DELETED = "deleted"


class CertificateState(str, Enum):
    """How a registered certificate looks today (manual 5: list with states)."""

    ACTIVE = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REMOVED = "removed"


@dataclass(frozen=True)
class Certificate:
    """A registered certificate and the platform that holds it, if any."""

    fingerprint: str
    alias: str
    der: bytes
    subject: str
    issuer: str
    serial_number: str
    holder_nif: str
    not_before: datetime
    not_after: datetime
    registered_at: datetime
    removed: bool = False
    platform_id: str = ""
    expiry_noticed: frozenset[int] = frozenset()

    def state(self, now: datetime) -> CertificateState:
        """Its state at `now`."""
        if self.removed:
            return CertificateState.REMOVED
        if now >= self.not_after:
            return CertificateState.EXPIRED
        return CertificateState.EXPIRING if now >= self.not_after - EXPIRING_WITHIN else CertificateState.ACTIVE


@dataclass(frozen=True)
class Platform:
    """A system of the integrator that calls the entry point with its certificates."""

    platform_id: str
    name: str
    roles: frozenset[Role]
    state: PlatformState
    certificates: tuple[str, ...]
    created_at: datetime
    refusal_reason: str = ""
    dir3_units: tuple[tuple[str, str], ...] = ()  # (code, name), in the order attached

    @property
    def rcf(self) -> bool:
        """Whether it holds the receiving (RCF) role."""
        return Role.RECEIVING in self.roles


@dataclass(frozen=True)
class AuthorizedUser:
    """A person who may act for the integrator."""

    nif: str
    name: str
    surname1: str
    surname2: str
    email: str

    @property
    def full_name(self) -> str:
        """Name and surnames."""
        return " ".join(p for p in (self.name, self.surname1, self.surname2) if p)


@dataclass(frozen=True)
class PersonalData:
    """A person's own data and preferences (Mi cuenta)."""

    name: str = ""
    surname1: str = ""
    surname2: str = ""
    email: str = ""
    phone: str = ""
    language: str = "es"


@dataclass(frozen=True)
class Integrator:
    """Everything known under one NIF: a person's data, and the integrator profile once signed up."""

    nif: str
    signed_up: bool = False
    name: str = ""
    email: str = ""
    third_party: bool = False
    commercial_name: str = ""
    primary_email: str = ""
    secondary_email: str = ""
    system_notices: bool = True
    signed_document_sha256: str = ""
    signed_up_at: datetime | None = None
    person: PersonalData = PersonalData()
    certificates: dict[str, Certificate] = field(default_factory=dict)
    platforms: dict[str, Platform] = field(default_factory=dict)
    authorized: dict[str, AuthorizedUser] = field(default_factory=dict)
    version: int = 0

    def live_platforms(self) -> list[Platform]:
        """Platforms not deleted, oldest first."""
        return [p for p in self.platforms.values() if p.state is not PlatformState.DELETED]

    def free_certificates(self, now: datetime) -> list[Certificate]:
        """Registered, unexpired certificates that no platform holds."""
        return [c for c in self.certificates.values()
                if not c.removed and not c.platform_id and c.state(now) is not CertificateState.EXPIRED]

    @property
    def notification_addresses(self) -> tuple[str, ...]:
        """Where notifications go: the configured addresses, else the integrator's email."""
        chosen = tuple(a for a in (self.primary_email, self.secondary_email) if a)
        return chosen or tuple(a for a in (self.email,) if a)


def _signed_up(s: Integrator, e: ev.SignedUp) -> Integrator:
    return replace(s, signed_up=True, name=e.name, email=e.email, third_party=e.third_party,
                   commercial_name=s.commercial_name or e.name, primary_email=s.primary_email or e.email,
                   signed_document_sha256=hashlib.sha256(e.signed_document).hexdigest(), signed_up_at=e.occurred_at)


def _certificate(s: Integrator, fingerprint: str, **changes) -> Integrator:
    return replace(s, certificates={**s.certificates, fingerprint: replace(s.certificates[fingerprint], **changes)})


def _platform(s: Integrator, platform_id: str, **changes) -> Integrator:
    return replace(s, platforms={**s.platforms, platform_id: replace(s.platforms[platform_id], **changes)})


def _registered(s: Integrator, e: ev.CertificateRegistered) -> Integrator:
    cert = Certificate(e.fingerprint, e.alias, e.der, e.subject, e.issuer, e.serial_number, e.holder_nif,
                       e.not_before, e.not_after, e.occurred_at)
    return replace(s, certificates={**s.certificates, e.fingerprint: cert})


def _created(s: Integrator, e: ev.PlatformCreated) -> Integrator:
    state = PlatformState.PENDING if Role.RECEIVING in e.roles else PlatformState.ACTIVE
    platform = Platform(e.platform_id, e.name, frozenset(e.roles), state, (e.fingerprint,), e.occurred_at)
    s = replace(s, platforms={**s.platforms, e.platform_id: platform})
    return _certificate(s, e.fingerprint, platform_id=e.platform_id)


def _cert_added(s: Integrator, e: ev.PlatformCertificateAdded) -> Integrator:
    s = _platform(s, e.platform_id, certificates=s.platforms[e.platform_id].certificates + (e.fingerprint,))
    return _certificate(s, e.fingerprint, platform_id=e.platform_id)


def _cert_removed(s: Integrator, e: ev.PlatformCertificateRemoved) -> Integrator:
    kept = tuple(f for f in s.platforms[e.platform_id].certificates if f != e.fingerprint)
    return _certificate(_platform(s, e.platform_id, certificates=kept), e.fingerprint, platform_id="")


def _deleted(s: Integrator, e: ev.PlatformDeleted) -> Integrator:
    for fingerprint in s.platforms[e.platform_id].certificates:
        s = _certificate(s, fingerprint, platform_id="")
    return _platform(s, e.platform_id, state=PlatformState.DELETED, certificates=())


def _attached(s: Integrator, e: ev.Dir3UnitAttached) -> Integrator:
    units = s.platforms[e.platform_id].dir3_units
    return _platform(s, e.platform_id, dir3_units=units + ((e.code, e.name),))


def _detached(s: Integrator, e: ev.Dir3UnitDetached) -> Integrator:
    units = tuple(u for u in s.platforms[e.platform_id].dir3_units if u[0] != e.code)
    return _platform(s, e.platform_id, dir3_units=units)


def _authorized(s: Integrator, e: ev.UserAuthorized) -> Integrator:
    user = AuthorizedUser(e.user_nif, e.name, e.surname1, e.surname2, e.email)
    return replace(s, authorized={**s.authorized, e.user_nif: user})


def _revoked(s: Integrator, e: ev.AuthorizationRevoked) -> Integrator:
    return replace(s, authorized={k: v for k, v in s.authorized.items() if k != e.user_nif})


def _expiry_noticed(s: Integrator, e: ev.CertificateExpiryNoticed) -> Integrator:
    return _certificate(s, e.fingerprint, expiry_noticed=s.certificates[e.fingerprint].expiry_noticed | {e.days})


EVOLVERS = {
    ev.SignedUp: _signed_up,
    ev.ProfileChanged: lambda s, e: replace(s, commercial_name=e.commercial_name, email=e.email,
                                            third_party=e.third_party),
    ev.NotificationsChanged: lambda s, e: replace(s, primary_email=e.primary_email,
                                                  secondary_email=e.secondary_email, system_notices=e.system_notices),
    ev.PersonalDataChanged: lambda s, e: replace(s, person=PersonalData(e.name, e.surname1, e.surname2, e.email,
                                                                        e.phone, e.language)),
    ev.CertificateRegistered: _registered,
    ev.CertificateRemoved: lambda s, e: _certificate(s, e.fingerprint, removed=True),
    ev.CertificateExpiryNoticed: _expiry_noticed,
    ev.PlatformCreated: _created,
    ev.PlatformRenamed: lambda s, e: _platform(s, e.platform_id, name=e.name),
    ev.PlatformCertificateAdded: _cert_added,
    ev.PlatformCertificateRemoved: _cert_removed,
    ev.PlatformDeleted: _deleted,
    ev.PlatformApproved: lambda s, e: _platform(s, e.platform_id, state=PlatformState.APPROVED, refusal_reason=""),
    ev.PlatformRefused: lambda s, e: _platform(s, e.platform_id, state=PlatformState.REFUSED,
                                               refusal_reason=e.reason),
    ev.Dir3UnitAttached: _attached,
    ev.Dir3UnitDetached: _detached,
    ev.UserAuthorized: _authorized,
    ev.AuthorizationRevoked: _revoked,
}


def evolve(state: Integrator | None, event: ev.IntegratorEvent) -> Integrator:
    """Apply one event (decide() only ever emits events that apply; notices are not integrator state)."""
    state = state if state is not None else Integrator(event.nif)
    evolver = EVOLVERS.get(type(event))
    after = evolver(state, event) if evolver is not None else state
    return replace(after, version=state.version + 1)


def fold(events: Iterable[ev.IntegratorEvent]) -> Integrator | None:
    """The state under one NIF after all its events, in log order."""
    return reduce(evolve, events, None)

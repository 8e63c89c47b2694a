"""The integrators directory: who a client certificate belongs to and what it may do, folded from the portal's events.

One fold over every integrator's events (the integrator aggregate's own `evolve`), plus two indexes the doors
need: certificate fingerprint -> integrator, and each RCF platform's DIR3 units over time. Pure: no I/O, no locks.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ventanilla.domain import integrator_events as ev
from ventanilla.domain.integrator import CertificateState, Integrator, PlatformState, evolve
from ventanilla.domain.integrator_events import Role

SENDING_STATES = (PlatformState.ACTIVE, PlatformState.APPROVED)


@dataclass(frozen=True)
class Credential:
    """A registered, live certificate and what its platform may do."""

    fingerprint: str
    integrator_nif: str
    third_party: bool  # "Servicios a terceros": may submit for any seller
    platform_id: str
    platform_name: str
    roles: frozenset[Role]
    platform_state: PlatformState
    dir3_units: frozenset[str]  # the platform's DIR3 units (oficinas contables) now

    @property
    def may_send(self) -> bool:
        """A platform with the sending role ("Servicio de envío"), active (or approved when it is also RCF)."""
        return Role.SENDING in self.roles and self.platform_state in SENDING_STATES

    @property
    def is_back_office(self) -> bool:
        """An RCF platform approved by the entry point's staff."""
        return Role.RECEIVING in self.roles and self.platform_state is PlatformState.APPROVED


@dataclass(frozen=True)
class Unrecognized:
    """Why a certificate authorizes nothing: its `reason` is one of REASONS."""

    fingerprint: str
    reason: str
    integrator_nif: str = ""


REASONS = {
    "unregistered": "El certificado no está registrado en el portal de integradores.",
    "removed": "El certificado se ha dado de baja en el portal de integradores.",
    "expired": "El certificado ha caducado.",
    "no_platform": "El certificado no pertenece a ninguna plataforma del portal de integradores.",
}


class IntegratorsDirectory:
    """Every integrator's state, the live certificate index and the DIR3 units' history, as of the events applied."""

    def __init__(self) -> None:
        self._integrators: dict[str, Integrator] = {}
        self._holders: dict[str, str] = {}  # fingerprint -> NIF of the integrator that registered it last
        self._units: dict[str, list[tuple[datetime, str, bool]]] = {}  # platform -> (at, code, attached)
        self._seen: set[str] = set()

    def apply(self, event: ev.IntegratorEvent) -> bool:
        """Fold one event (a repeated event id is dropped); whether it changed anything."""
        if event.event_id in self._seen or isinstance(event, ev.NoticePublished):
            return False
        self._seen.add(event.event_id)
        self._integrators[event.nif] = evolve(self._integrators.get(event.nif), event)
        if isinstance(event, ev.CertificateRegistered):
            self._holders[event.fingerprint] = event.nif
        elif isinstance(event, (ev.Dir3UnitAttached, ev.Dir3UnitDetached)):
            attached = isinstance(event, ev.Dir3UnitAttached)
            self._units.setdefault(event.platform_id, []).append((event.occurred_at, event.code, attached))
        return True

    def integrator(self, nif: str) -> Integrator | None:
        """Everything known under a NIF."""
        return self._integrators.get(nif)

    def credential(self, fingerprint: str, now: datetime) -> Credential | Unrecognized:
        """What a client certificate (SHA-256 of its DER, hex) may do at `now`, or why it may do nothing."""
        fingerprint = fingerprint.lower()
        nif = self._holders.get(fingerprint)
        state = self._integrators.get(nif) if nif else None
        certificate = state.certificates.get(fingerprint) if state else None
        if certificate is None:
            return Unrecognized(fingerprint, "unregistered")
        standing = certificate.state(now)
        if standing in (CertificateState.REMOVED, CertificateState.EXPIRED):
            return Unrecognized(fingerprint, standing.value, nif)
        platform = state.platforms.get(certificate.platform_id)
        if platform is None or platform.state is PlatformState.DELETED:
            return Unrecognized(fingerprint, "no_platform", nif)
        return Credential(fingerprint, nif, state.third_party, platform.platform_id, platform.name,
                          platform.roles, platform.state, frozenset(code for code, _ in platform.dir3_units))

    def units_at(self, platform_id: str, at: datetime) -> frozenset[str]:
        """The DIR3 units a platform held at a moment (attachments and detachments up to and including it)."""
        units: set[str] = set()
        for when, code, attached in self._units.get(platform_id, ()):
            if when > at:
                break
            (units.add if attached else units.discard)(code)
        return frozenset(units)

    def owners_of_unit(self, code: str, at: datetime) -> frozenset[str]:
        """The approved RCF platforms that held a DIR3 unit at a moment (for routing notices and feedback)."""
        owners = set()
        for state in self._integrators.values():
            for platform in state.platforms.values():
                if platform.state is PlatformState.APPROVED and code in self.units_at(platform.platform_id, at):
                    owners.add(platform.platform_id)
        return frozenset(owners)

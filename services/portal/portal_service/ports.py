"""What the portal's use cases need from the world: log, read model, mail, clock, signatures, registry."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol, Sequence

from ventanilla.domain.integrator import Integrator, PlatformState
from ventanilla.domain.integrator_claims import Claim
from ventanilla.domain.integrator_events import IntegratorEvent
from ventanilla.domain.integrator_listing import Expiring, Home, IntegratorRow, Notice, Person, PlatformRow
from ventanilla.ports import Position


class IntegratorLog(Protocol):
    """The integrators topic."""

    def append(self, events: Sequence[IntegratorEvent]) -> Position | None:
        """Append in order, durably; where the last event landed."""


class ReadModel(Protocol):
    """The portal's projection of the integrators topic."""

    def positions(self, topic: str) -> dict[int, int]: ...

    def apply_many(self, records) -> int: ...

    def integrator(self, nif: str) -> Integrator | None: ...

    def history(self, nif: str, limit: int = 10) -> list[IntegratorEvent]: ...

    def integrator_with_history(self, nif: str, limit: int = 10) -> tuple[Integrator | None, list[IntegratorEvent]]:
        ...

    def home(self, nif: str, user_nif: str, limit: int = 8, notices: int = 5) -> Home:
        """The home page's facts: nif's state and latest events, whom user_nif acts for, the latest notices."""

    def certificate_holder(self, fingerprint: str) -> str | None: ...

    def person(self, nif: str) -> Person | None: ...

    def represented_by(self, user_nif: str) -> list[IntegratorRow]: ...

    def integrators(self, text: str = "", limit: int = 50) -> list[IntegratorRow]: ...

    def platforms_in(self, states: tuple[PlatformState, ...]) -> list[PlatformRow]: ...

    def notices(self, limit: int = 5) -> list[Notice]: ...

    def expiring(self, before: datetime) -> list[Expiring]: ...


class IntegratorClaims(Protocol):
    """The integrators' versions and certificate fingerprints, claimed in one transaction before appending."""

    def record(self, claim: Claim, stale_before: datetime | None = None) -> None:
        """Take the claim, or raise Conflict (decided against an old state) / Refused (certificate held)."""

    def undo(self, claim: Claim) -> None:
        """Give back a claim whose events were not appended."""


class Settle(Protocol):
    """Waits until the read model has applied the log up to a position (read-your-writes)."""

    def __call__(self, position: Position) -> bool: ...


class Mailer(Protocol):
    """An SMTP relay."""

    def send(self, to: Sequence[str], subject: str, body: str) -> None: ...


class SignedDocumentVerifier(Protocol):
    """Checks an XAdES-signed document; the signer's NIF, or Refused(code, "document")."""

    def verify(self, document: bytes, at: datetime) -> str: ...


class Registry(Protocol):
    """What the portal asks the registry and status services (read-only)."""

    def receipt(self, csv: str) -> bytes | None: ...

    def registered(self, caller_nif: str, supplier_nif: str, year: int, series: str, number: str) -> bool: ...

"""In-memory adapters for the portal's use cases; they pass the contract tests the real adapters pass."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ventanilla.adapters.event_log import Position
from ventanilla.domain import integrator_events as ev
from ventanilla.domain.integrator_claims import Conflict
from ventanilla.domain.integrator_decide import Refused
from ventanilla.domain.integrator import evolve
from ventanilla.domain.integrator_listing import Expiring, Home, IntegratorRow, Notice, Person, PlatformRow

TOPIC = "integrators"


class MemoryLog:
    """The integrators topic as a list; appends feed subscribed read models at once (one partition)."""

    def __init__(self, *read_models):
        self.records: list[ev.IntegratorEvent] = []
        self._read_models = list(read_models)

    def append(self, events) -> Position | None:
        for event in events:
            self.records.append(event)
            offset = len(self.records) - 1
            for read_model in self._read_models:
                read_model.apply_many([(event, TOPIC, 0, offset)])
        return Position(TOPIC, 0, len(self.records) - 1) if events else None


class MemoryReadModel:
    """The portal projection's contract over dictionaries."""

    def __init__(self):
        self._streams: dict[str, list] = {}
        self._states: dict = {}
        self._people: dict[str, tuple[Person, int]] = {}
        self._notices: list[Notice] = []
        self._positions: dict[tuple[str, int], int] = {}

    def positions(self, topic):
        return {p: o for (t, p), o in self._positions.items() if t == topic}

    def apply_many(self, records) -> int:
        new = 0
        for event, topic, partition, offset in records:
            if offset < self._positions.get((topic, partition), 0):
                continue
            self._positions[(topic, partition)] = offset + 1
            new += 1
            if isinstance(event, ev.NoticePublished):
                if all(n.notice_id != event.notice_id for n in self._notices):
                    self._notices.append(Notice(event.notice_id, event.title, event.body, event.occurred_at))
                continue
            self._streams.setdefault(event.nif, []).append(event)
            self._states[event.nif] = evolve(self._states.get(event.nif), event)
            self._person(event)
        return new

    def _person(self, e) -> None:
        def put(nif, name, email, rank):
            if nif not in self._people or rank >= self._people[nif][1]:
                self._people[nif] = (Person(nif, name, email), rank)
        if isinstance(e, ev.PersonalDataChanged):
            put(e.nif, " ".join(p for p in (e.name, e.surname1, e.surname2) if p), e.email, 2)
        elif isinstance(e, ev.SignedUp):
            put(e.nif, e.name, e.email, 1)
        elif isinstance(e, ev.UserAuthorized):
            put(e.user_nif, " ".join(p for p in (e.name, e.surname1, e.surname2) if p), e.email, 0)

    def integrator(self, nif):
        return self._states.get(nif)

    def history(self, nif, limit=10):
        return list(reversed(self._streams.get(nif, [])))[:limit]

    def integrator_with_history(self, nif, limit=10):
        return self.integrator(nif), self.history(nif, limit)

    def home(self, nif, user_nif, limit=8, notices=5):
        return Home(*self.integrator_with_history(nif, limit), self.represented_by(user_nif), self.notices(notices))

    def certificate_holder(self, fingerprint):
        return next((nif for nif, s in self._states.items()
                     if fingerprint in s.certificates and not s.certificates[fingerprint].removed), None)

    def person(self, nif):
        return self._people[nif][0] if nif in self._people else None

    def _name(self, s) -> str:
        return s.commercial_name or s.name

    def represented_by(self, user_nif):
        rows = [IntegratorRow(nif, self._name(s)) for nif, s in self._states.items() if user_nif in s.authorized]
        return sorted(rows, key=lambda r: r.name)

    def integrators(self, text="", limit=50):
        t = text.strip().upper()
        rows = [IntegratorRow(nif, self._name(s)) for nif, s in self._states.items()
                if s.signed_up and (t in self._name(s).upper() or t in nif)]
        return sorted(rows, key=lambda r: (r.name, r.nif))[:limit]

    def platforms_in(self, states):
        wanted = {s.value for s in states}
        rows = [PlatformRow(nif, self._name(s), p.platform_id, p.name, p.state.value)
                for nif, s in self._states.items() for p in s.platforms.values() if p.state.value in wanted]
        return sorted(rows, key=lambda r: (r.integrator_name, r.name))

    def notices(self, limit=5):
        return sorted(self._notices, key=lambda n: n.published_at, reverse=True)[:limit]

    def expiring(self, before):
        rows = [Expiring(nif, c.fingerprint, c.not_after) for nif, s in self._states.items()
                for c in s.certificates.values() if not c.removed and c.not_after < before]
        return sorted(rows, key=lambda r: r.not_after)


@dataclass
class FixedClock:
    """A clock that moves only when told."""

    moment: datetime = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@dataclass
class MemoryMailer:
    """Keeps what would have been sent; `failing` makes every send raise like a dead relay."""

    sent: list = field(default_factory=list)
    failing: bool = False

    def send(self, to, subject, body) -> None:
        if self.failing:
            raise ConnectionRefusedError("relay down")
        self.sent.append((tuple(to), subject, body))


@dataclass
class MemoryRegistry:
    """Receipts by CSV and registered invoices, as the registry and status services would answer."""

    receipts: dict = field(default_factory=dict)
    invoices: set = field(default_factory=set)
    _ids = itertools.count()

    def receipt(self, csv):
        return self.receipts.get(csv)

    def registered(self, caller_nif, supplier_nif, year, series, number):
        return (caller_nif, supplier_nif, year, series, number) in self.invoices

    def close(self):
        pass


class MemoryClaims:
    """The IntegratorClaims contract over dictionaries (one process)."""

    def __init__(self):
        self.versions: dict[str, tuple[int, datetime]] = {}
        self.fingerprints: dict[str, tuple[str, int]] = {}

    def record(self, claim, stale_before=None) -> None:
        stored = self.versions.get(claim.nif)
        if stored is not None and stored[0] > claim.expected and (stale_before is None or stored[1] >= stale_before):
            raise Conflict(claim.nif)
        fingerprints = dict(self.fingerprints)
        if stored is None or stored[0] != claim.expected:
            fingerprints = {f: h for f, h in fingerprints.items() if h[0] != claim.nif}
            for f in claim.held:
                fingerprints.setdefault(f, (claim.nif, claim.expected))
        for f in claim.release:
            if fingerprints.get(f, ("",))[0] == claim.nif:
                del fingerprints[f]
        for f in claim.take:
            if f in fingerprints and fingerprints[f][0] != claim.nif:
                raise Refused("certificate_registered", "file")
            fingerprints[f] = (claim.nif, claim.version)
        self.fingerprints, self.versions[claim.nif] = fingerprints, (claim.version, claim.at)

    def undo(self, claim) -> None:
        stored = self.versions.get(claim.nif)
        if stored is not None and stored[0] == claim.version:
            self.versions[claim.nif] = (claim.expected, stored[1])
            for f in claim.take:
                if self.fingerprints.get(f, ("",))[0] == claim.nif:
                    del self.fingerprints[f]
            for f in claim.release:
                self.fingerprints.setdefault(f, (claim.nif, claim.expected))

    def version(self, nif):
        return self.versions[nif][0] if nif in self.versions else None

    def holder(self, fingerprint):
        return self.fingerprints[fingerprint][0] if fingerprint in self.fingerprints else None

    def close(self):
        pass

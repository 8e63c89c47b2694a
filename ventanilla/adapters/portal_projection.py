"""The portal's read model: each NIF's events (folded on read) and index tables, with log positions."""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ventanilla.adapters.integrator_codec import decode, encode
from ventanilla.adapters.sql import Database
from ventanilla.domain import integrator_events as ev
from ventanilla.domain.integrator import Integrator, PlatformState, evolve, fold
from ventanilla.domain.integrator_listing import Expiring, Home, IntegratorRow, Notice, Person, PlatformRow

SCHEMA_VERSION = 1
CACHED_STATES = 4096
RECENT_EVENTS = 16  # kept with each cached state: the home page shows the latest 8
_SCHEMA = """
CREATE TABLE IF NOT EXISTS portal_streams (nif TEXT NOT NULL, seq INTEGER NOT NULL, payload {blob} NOT NULL,
    PRIMARY KEY (nif, seq));
CREATE TABLE IF NOT EXISTS portal_integrators (nif TEXT PRIMARY KEY, name TEXT NOT NULL, signed_up INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS portal_people (nif TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,
    rank INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS portal_certificates (fingerprint TEXT PRIMARY KEY, nif TEXT NOT NULL,
    not_after TEXT NOT NULL, live INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS portal_authorizations (user_nif TEXT NOT NULL, nif TEXT NOT NULL,
    PRIMARY KEY (user_nif, nif));
CREATE TABLE IF NOT EXISTS portal_platforms (platform_id TEXT PRIMARY KEY, nif TEXT NOT NULL, name TEXT NOT NULL,
    state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS portal_notices (notice_id TEXT PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL,
    at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS portal_positions (topic TEXT NOT NULL, part INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, part));
CREATE TABLE IF NOT EXISTS portal_schema (version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS portal_certificates_by_nif ON portal_certificates (nif);
CREATE INDEX IF NOT EXISTS portal_authorizations_by_nif ON portal_authorizations (nif);
CREATE INDEX IF NOT EXISTS portal_platforms_by_nif ON portal_platforms (nif);
CREATE INDEX IF NOT EXISTS portal_notices_by_time ON portal_notices (at)
"""
_INDEXES = ("portal_integrators", "portal_certificates", "portal_authorizations", "portal_platforms")
_HOME = ("SELECT 0, CAST(COUNT(*) AS TEXT), NULL, NULL, NULL FROM portal_streams WHERE nif=?"
         " UNION ALL SELECT 1, i.nif, i.name, NULL, NULL FROM portal_authorizations a JOIN portal_integrators i"
         " ON i.nif = a.nif WHERE a.user_nif=?"
         " UNION ALL SELECT 2, notice_id, title, body, at FROM"
         " (SELECT notice_id, title, body, at FROM portal_notices ORDER BY at DESC LIMIT ?) latest")
_RANK = {"own": 2, "integrator": 1, "authorized": 0}  # whose word on a person's name wins


class PortalProjection:
    """Integrators as of the log positions recorded beside them; SQLite file or PostgreSQL DSN."""

    def __init__(self, target: Path | str, cached_states: int = CACHED_STATES):
        self._db = Database(target)
        self._cache: OrderedDict[str, tuple[int, Integrator, tuple]] = OrderedDict()  # NIF -> (events, state, latest)
        self._cached_states = cached_states  # the least recently read NIFs beyond it are forgotten (folded again)
        self._cache_lock = threading.Lock()
        self._db.script(_SCHEMA.format(blob=self._db.blob))
        if self._db.execute("SELECT version FROM portal_schema").fetchone() is None:
            self._db.execute("INSERT INTO portal_schema VALUES (?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        """Close this thread's connection."""
        self._db.close()

    def positions(self, topic: str) -> dict[int, int]:
        """The next offset to read, per partition of a topic."""
        return dict(self._db.execute("SELECT part, next_offset FROM portal_positions WHERE topic=?", (topic,)).fetchall())

    def apply_many(self, records: Iterable[tuple[ev.IntegratorEvent, str, int, int]]) -> int:
        """Fold records (event, topic, partition, offset) in one transaction with their positions; how many were new.
        Each touched NIF's state is evolved from its kept (or folded) state, not folded again from its stream."""
        db = self._db
        db.begin("portal_positions")
        try:
            positions = {(t, p): o for t, p, o in db.execute("SELECT topic, part, next_offset FROM portal_positions")}
            known, touched, new = dict(positions), {}, 0
            for event, topic, partition, offset in records:
                if offset < positions.get((topic, partition), 0):
                    continue
                positions[(topic, partition)] = offset + 1
                new += 1
                if isinstance(event, ev.NoticePublished):
                    db.execute("INSERT INTO portal_notices VALUES (?, ?, ?, ?) ON CONFLICT (notice_id) DO NOTHING",
                               (event.notice_id, event.title, event.body, event.occurred_at.isoformat()))
                    continue
                if event.nif not in touched:
                    touched[event.nif] = self._current(event.nif)
                state, latest = touched[event.nif]
                db.execute("INSERT INTO portal_streams VALUES (?, ?, ?)",
                           (event.nif, state.version if state else 0, encode(event)))
                touched[event.nif] = (evolve(state, event), (event, *latest[:RECENT_EVENTS - 1]))
                self._people(event)
            for nif in sorted(touched):
                self._reindex(touched[nif][0])
            db.executemany("INSERT INTO portal_positions VALUES (?, ?, ?) ON CONFLICT (topic, part)"
                           " DO UPDATE SET next_offset=excluded.next_offset",
                           [(t, p, o) for (t, p), o in positions.items() if known.get((t, p)) != o])
            db.commit()
        except BaseException:
            db.rollback()
            raise
        for nif, (state, latest) in touched.items():  # kept only once committed
            self._keep(nif, state, latest)
        return new

    def _current(self, nif: str) -> tuple[Integrator | None, tuple]:
        """A NIF's state and latest events (newest first) as stored now: the kept ones, else folded."""
        cached = self._cached(nif, self._length(nif))
        if cached is not None:
            return cached[1], cached[2]
        events = self._events(nif)
        return fold(events), tuple(reversed(events[-RECENT_EVENTS:]))

    def _keep(self, nif: str, state: Integrator, latest: tuple) -> None:
        with self._cache_lock:
            self._cache[nif] = (state.version, state, latest)
            self._cache.move_to_end(nif)
            while len(self._cache) > self._cached_states:
                self._cache.popitem(last=False)

    def _person(self, nif: str, name: str, email: str, rank: int) -> None:
        self._db.execute("INSERT INTO portal_people VALUES (?, ?, ?, ?) ON CONFLICT (nif) DO UPDATE SET"
                         " name=excluded.name, email=excluded.email, rank=excluded.rank"
                         " WHERE excluded.rank >= portal_people.rank", (nif, name, email, rank))

    def _people(self, event: ev.IntegratorEvent) -> None:
        if isinstance(event, ev.PersonalDataChanged):
            name = " ".join(p for p in (event.name, event.surname1, event.surname2) if p)
            self._person(event.nif, name, event.email, _RANK["own"])
        elif isinstance(event, ev.SignedUp):
            self._person(event.nif, event.name, event.email, _RANK["integrator"])
        elif isinstance(event, ev.UserAuthorized):
            name = " ".join(p for p in (event.name, event.surname1, event.surname2) if p)
            self._person(event.user_nif, name, event.email, _RANK["authorized"])

    def _reindex(self, state: Integrator) -> None:
        db, nif = self._db, state.nif
        for table in _INDEXES:
            db.execute(f"DELETE FROM {table} WHERE nif=?", (nif,))
        db.execute("INSERT INTO portal_integrators VALUES (?, ?, ?)",
                   (nif, state.commercial_name or state.name, int(state.signed_up)))
        db.executemany("INSERT INTO portal_certificates VALUES (?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING",
                       [(c.fingerprint, nif, c.not_after.isoformat(), int(not c.removed))
                        for c in state.certificates.values()])
        db.executemany("INSERT INTO portal_authorizations VALUES (?, ?)", [(u, nif) for u in state.authorized])
        db.executemany("INSERT INTO portal_platforms VALUES (?, ?, ?, ?)",
                       [(p.platform_id, nif, p.name, p.state.value) for p in state.platforms.values()])

    def _events(self, nif: str, newest_first: bool = False, limit: int = -1) -> list[ev.IntegratorEvent]:
        order = "DESC" if newest_first else "ASC"
        rows = self._db.execute(f"SELECT payload FROM portal_streams WHERE nif=? ORDER BY seq {order}"
                                + (" LIMIT ?" if limit >= 0 else ""), (nif, limit) if limit >= 0 else (nif,))
        return [decode(bytes(payload)) for (payload,) in rows.fetchall()]

    def _length(self, nif: str) -> int:
        return self._db.execute("SELECT COUNT(*) FROM portal_streams WHERE nif=?", (nif,)).fetchone()[0]

    def _cached(self, nif: str, length: int) -> tuple[int, Integrator, tuple] | None:
        with self._cache_lock:
            cached = self._cache.get(nif)
            if cached is None or cached[0] != length:
                return None
            self._cache.move_to_end(nif)
            return cached

    def integrator(self, nif: str) -> Integrator | None:
        """Everything known under a NIF, or None (a state folded once per stream length, kept in this process
        with the stream's latest events)."""
        length = self._length(nif)
        cached = self._cached(nif, length)
        if cached is not None:
            return cached[1]
        events = self._events(nif)
        state = fold(events)
        if state is not None and state.version == length:  # else the stream grew meanwhile: do not keep it
            self._keep(nif, state, tuple(reversed(events[-RECENT_EVENTS:])))
        return state

    def history(self, nif: str, limit: int = 10) -> list[ev.IntegratorEvent]:
        """The NIF's latest events, newest first (from the kept state's when it is current)."""
        cached = self._cached(nif, self._length(nif)) if 0 <= limit <= RECENT_EVENTS else None
        if cached is not None:
            return list(cached[2][:limit])
        return self._events(nif, newest_first=True, limit=limit)

    def integrator_with_history(self, nif: str, limit: int = 10) -> tuple[Integrator | None,
                                                                          list[ev.IntegratorEvent]]:
        """`integrator` and `history` together, one look at the stream's length for both (the home page)."""
        cached = self._cached(nif, self._length(nif)) if 0 <= limit <= RECENT_EVENTS else None
        if cached is not None:
            return cached[1], list(cached[2][:limit])
        return self.integrator(nif), self.history(nif, limit)

    def home(self, nif: str, user_nif: str, limit: int = 8, notices: int = 5) -> Home:
        """The home page's facts in one statement (the stream's length, whom user_nif acts for, the latest notices),
        read from the shared store on every call, so a notice published through another replica shows at once; the
        state and its history come from the kept state when it is current (else folded, as `integrator` does)."""
        rows = self._db.execute(_HOME, (nif, user_nif, notices)).fetchall()
        length = next(int(a) for kind, a, *_ in rows if kind == 0)
        represented = sorted((IntegratorRow(a, b) for kind, a, b, *_ in rows if kind == 1), key=lambda r: r.name)
        latest = [Notice(a, b, c, datetime.fromisoformat(d)) for kind, a, b, c, d in rows if kind == 2]
        latest.sort(key=lambda n: n.published_at, reverse=True)
        cached = self._cached(nif, length) if 0 <= limit <= RECENT_EVENTS else None
        if cached is not None:
            return Home(cached[1], list(cached[2][:limit]), represented, latest)
        return Home(*self.integrator_with_history(nif, limit), represented, latest)

    def certificate_holder(self, fingerprint: str) -> str | None:
        """The NIF that registered a live certificate, or None."""
        row = self._db.execute("SELECT nif FROM portal_certificates WHERE fingerprint=? AND live=1",
                               (fingerprint,)).fetchone()
        return row[0] if row else None

    def person(self, nif: str) -> Person | None:
        """The name and email known for a NIF, or None."""
        row = self._db.execute("SELECT nif, name, email FROM portal_people WHERE nif=?", (nif,)).fetchone()
        return Person(*row) if row else None

    def represented_by(self, user_nif: str) -> list[IntegratorRow]:
        """The integrators a person is authorized to act for, by name."""
        rows = self._db.execute("SELECT i.nif, i.name FROM portal_authorizations a JOIN portal_integrators i"
                                " ON i.nif = a.nif WHERE a.user_nif=? ORDER BY i.name", (user_nif,))
        return [IntegratorRow(*r) for r in rows.fetchall()]

    def integrators(self, text: str = "", limit: int = 50) -> list[IntegratorRow]:
        """Signed-up integrators whose NIF or name contains text, by name."""
        pattern = f"%{text.strip().upper()}%"
        rows = self._db.execute("SELECT nif, name FROM portal_integrators WHERE signed_up=1 AND"
                                " (UPPER(name) LIKE ? OR nif LIKE ?) ORDER BY name, nif LIMIT ?",
                                (pattern, pattern, limit))
        return [IntegratorRow(*r) for r in rows.fetchall()]

    def platforms_in(self, states: tuple[PlatformState, ...]) -> list[PlatformRow]:
        """Platforms in some states (the staff queue), by integrator and name."""
        marks = ", ".join("?" for _ in states)
        rows = self._db.execute(
            "SELECT p.nif, i.name, p.platform_id, p.name, p.state FROM portal_platforms p JOIN portal_integrators i"
            f" ON i.nif = p.nif WHERE p.state IN ({marks}) ORDER BY i.name, p.name", tuple(s.value for s in states))
        return [PlatformRow(*r) for r in rows.fetchall()]

    def notices(self, limit: int = 5) -> list[Notice]:
        """The latest system notices, newest first."""
        rows = self._db.execute("SELECT notice_id, title, body, at FROM portal_notices ORDER BY at DESC LIMIT ?",
                                (limit,))
        return [Notice(i, t, b, datetime.fromisoformat(a)) for i, t, b, a in rows.fetchall()]

    def expiring(self, before: datetime) -> list[Expiring]:
        """Live certificates that expire before a moment."""
        rows = self._db.execute("SELECT nif, fingerprint, not_after FROM portal_certificates WHERE live=1"
                                " AND not_after < ? ORDER BY not_after", (before.isoformat(),))
        return [Expiring(n, f, datetime.fromisoformat(a)) for n, f, a in rows.fetchall()]

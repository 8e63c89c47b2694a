"""Rows the portal's read model answers beyond one integrator's state: people, queues, notices, actions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ventanilla.domain.integrator import Integrator
from ventanilla.domain.integrator_events import IntegratorEvent


@dataclass(frozen=True)
class Person:
    """A NIF the portal knows a name and an email for."""

    nif: str
    name: str
    email: str


@dataclass(frozen=True)
class IntegratorRow:
    """An integrator in a list (staff search, profiles a user may act for)."""

    nif: str
    name: str


@dataclass(frozen=True)
class PlatformRow:
    """A platform in the staff queue."""

    nif: str
    integrator_name: str
    platform_id: str
    name: str
    state: str


@dataclass(frozen=True)
class Notice:
    """A system notice published by staff."""

    notice_id: str
    title: str
    body: str
    published_at: datetime


@dataclass(frozen=True)
class Expiring:
    """A live certificate and when it expires (for the expiry warnings)."""

    nif: str
    fingerprint: str
    not_after: datetime


@dataclass(frozen=True)
class Home:
    """What the home page shows: the integrator and its latest events, whom the person acts for, the latest notices."""

    state: Integrator | None
    history: list[IntegratorEvent]
    represented: list[IntegratorRow]
    notices: list[Notice]

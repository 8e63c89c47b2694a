"""What people ask of the integrator aggregate, decided against its state into events (or refused)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ventanilla.domain.integrator_events import Role


@dataclass(frozen=True)
class Command:
    """Who acts on which NIF, when, and the id the resulting events derive theirs from."""

    command_id: str
    nif: str
    actor_nif: str
    at: datetime


@dataclass(frozen=True)
class SignUp(Command):
    """Become an integrator with the signed acceptance document (its signature already verified)."""

    name: str
    email: str
    third_party: bool
    accepted_terms: bool
    signed_document: bytes


@dataclass(frozen=True)
class ChangeProfile(Command):
    """Edit the integrator profile (Mi cuenta)."""

    commercial_name: str
    email: str
    third_party: bool


@dataclass(frozen=True)
class ChangeNotifications(Command):
    """Edit notification addresses and system notices."""

    primary_email: str
    secondary_email: str
    system_notices: bool


@dataclass(frozen=True)
class ChangePersonalData(Command):
    """Edit a person's own data and preferences."""

    name: str
    surname1: str
    surname2: str
    email: str
    phone: str
    language: str


@dataclass(frozen=True)
class CertificateFacts:
    """What an uploaded certificate says about itself (read by an adapter from PEM or DER)."""

    fingerprint: str
    der: bytes
    subject: str
    issuer: str
    serial_number: str
    holder_nif: str
    not_before: datetime
    not_after: datetime
    is_ca: bool


@dataclass(frozen=True)
class RegisterCertificate(Command):
    """Register the public part of a certificate; `held_elsewhere`: another integrator registered it."""

    alias: str
    facts: CertificateFacts
    held_elsewhere: bool


@dataclass(frozen=True)
class RemoveCertificate(Command):
    """Remove a certificate that no platform holds."""

    fingerprint: str


@dataclass(frozen=True)
class NoticeCertificateExpiry(Command):
    """Record that the integrator was warned about an expiring certificate."""

    fingerprint: str
    days: int


@dataclass(frozen=True)
class CreatePlatform(Command):
    """Create a platform with roles and one free certificate (manual 6.1, two steps)."""

    platform_id: str
    name: str
    roles: frozenset[Role]
    fingerprint: str


@dataclass(frozen=True)
class RenamePlatform(Command):
    """Edit a platform's name."""

    platform_id: str
    name: str


@dataclass(frozen=True)
class AddPlatformCertificate(Command):
    """Give a platform another free certificate."""

    platform_id: str
    fingerprint: str


@dataclass(frozen=True)
class RemovePlatformCertificate(Command):
    """Take a certificate from a platform (one must remain)."""

    platform_id: str
    fingerprint: str


@dataclass(frozen=True)
class DeletePlatform(Command):
    """Delete a platform (after confirmation)."""

    platform_id: str


@dataclass(frozen=True)
class ApprovePlatform(Command):
    """Staff: approve a pending RCF platform."""

    platform_id: str


@dataclass(frozen=True)
class RefusePlatform(Command):
    """Staff: refuse an RCF platform, saying why."""

    platform_id: str
    reason: str


@dataclass(frozen=True)
class AttachDir3Unit(Command):
    """Staff: attach a DIR3 unit (from the official catalogue) to an RCF platform."""

    platform_id: str
    code: str
    name: str


@dataclass(frozen=True)
class DetachDir3Unit(Command):
    """Staff: detach a DIR3 unit from an RCF platform."""

    platform_id: str
    code: str


@dataclass(frozen=True)
class AuthorizeUser(Command):
    """Let a person act for the integrator (manual 7.1)."""

    user_nif: str
    name: str
    surname1: str
    surname2: str
    email: str


@dataclass(frozen=True)
class RevokeAuthorization(Command):
    """Stop a person acting for the integrator."""

    user_nif: str


@dataclass(frozen=True)
class PublishNotice(Command):
    """Staff: publish a system notice to every integrator."""

    notice_id: str
    title: str
    body: str

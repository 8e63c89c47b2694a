"""Past-tense facts about integrators (portal), each with a stable type name and version.

Every event names the integrator it belongs to (`nif`, the Kafka key) and who acted (`actor_nif`:
the integrator itself, a user authorized by it, or a member of the entry point's staff).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class Role(str, Enum):
    """What a platform does with the entry point (manual 6.1)."""

    SENDING = "envio"          # "Servicio de envío": presents invoices
    RECEIVING = "recepcion"    # "Servicio de recepción/RCF": a registro contable de facturas (public bodies)


@dataclass(frozen=True)
class IntegratorEvent:
    """What every integrator event carries."""

    event_id: str
    nif: str
    occurred_at: datetime
    actor_nif: str


@dataclass(frozen=True)
class SignedUp(IntegratorEvent):
    """The entity signed the acceptance document and became an integrator."""

    TYPE = "ventanilla.integrator.signed_up"
    VERSION = 1
    name: str
    email: str
    third_party: bool
    signed_document: bytes  # the XAdES-signed acceptance XML: the legal record of the sign-up


@dataclass(frozen=True)
class ProfileChanged(IntegratorEvent):
    """The integrator's profile (commercial identifier, email, third-party services) changed."""

    TYPE = "ventanilla.integrator.profile_changed"
    VERSION = 1
    commercial_name: str
    email: str
    third_party: bool


@dataclass(frozen=True)
class NotificationsChanged(IntegratorEvent):
    """Where notifications go (up to two addresses) and whether system notices are wanted."""

    TYPE = "ventanilla.integrator.notifications_changed"
    VERSION = 1
    primary_email: str
    secondary_email: str
    system_notices: bool


@dataclass(frozen=True)
class PersonalDataChanged(IntegratorEvent):
    """A person's own data and preferences (Mi cuenta); `nif` is the person's."""

    TYPE = "ventanilla.integrator.personal_data_changed"
    VERSION = 1
    name: str
    surname1: str
    surname2: str
    email: str
    phone: str
    language: str


@dataclass(frozen=True)
class CertificateRegistered(IntegratorEvent):
    """The public part of a certificate the integrator will call with was registered."""

    TYPE = "ventanilla.integrator.certificate_registered"
    VERSION = 1
    fingerprint: str  # SHA-256 of the DER, lower-case hex: the certificate's identity everywhere
    alias: str
    der: bytes
    subject: str
    issuer: str
    serial_number: str
    holder_nif: str
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True)
class CertificateRemoved(IntegratorEvent):
    """A certificate no platform holds was removed."""

    TYPE = "ventanilla.integrator.certificate_removed"
    VERSION = 1
    fingerprint: str


@dataclass(frozen=True)
class CertificateExpiryNoticed(IntegratorEvent):
    """The integrator was told that a certificate expires within `days` days (30, then 7)."""

    TYPE = "ventanilla.integrator.certificate_expiry_noticed"
    VERSION = 1
    fingerprint: str
    days: int


@dataclass(frozen=True)
class PlatformCreated(IntegratorEvent):
    """A platform was created with its roles and first certificate."""

    TYPE = "ventanilla.integrator.platform_created"
    VERSION = 1
    platform_id: str
    name: str
    roles: frozenset[Role]
    fingerprint: str


@dataclass(frozen=True)
class PlatformRenamed(IntegratorEvent):
    """A platform's name changed."""

    TYPE = "ventanilla.integrator.platform_renamed"
    VERSION = 1
    platform_id: str
    name: str


@dataclass(frozen=True)
class PlatformCertificateAdded(IntegratorEvent):
    """A registered certificate that no platform held now belongs to this platform."""

    TYPE = "ventanilla.integrator.platform_certificate_added"
    VERSION = 1
    platform_id: str
    fingerprint: str


@dataclass(frozen=True)
class PlatformCertificateRemoved(IntegratorEvent):
    """A certificate no longer belongs to the platform (it keeps at least one)."""

    TYPE = "ventanilla.integrator.platform_certificate_removed"
    VERSION = 1
    platform_id: str
    fingerprint: str


@dataclass(frozen=True)
class PlatformDeleted(IntegratorEvent):
    """The platform was deleted: its certificates are free again."""

    TYPE = "ventanilla.integrator.platform_deleted"
    VERSION = 1
    platform_id: str


@dataclass(frozen=True)
class PlatformApproved(IntegratorEvent):
    """Staff approved an RCF platform: it may receive for its DIR3 units."""

    TYPE = "ventanilla.integrator.platform_approved"
    VERSION = 1
    platform_id: str


@dataclass(frozen=True)
class PlatformRefused(IntegratorEvent):
    """Staff refused an RCF platform, with the reason shown to the integrator."""

    TYPE = "ventanilla.integrator.platform_refused"
    VERSION = 1
    platform_id: str
    reason: str


@dataclass(frozen=True)
class Dir3UnitAttached(IntegratorEvent):
    """Staff attached a DIR3 unit to an RCF platform: its updates for that unit are accepted."""

    TYPE = "ventanilla.integrator.dir3_unit_attached"
    VERSION = 1
    platform_id: str
    code: str
    name: str


@dataclass(frozen=True)
class Dir3UnitDetached(IntegratorEvent):
    """Staff detached a DIR3 unit from an RCF platform."""

    TYPE = "ventanilla.integrator.dir3_unit_detached"
    VERSION = 1
    platform_id: str
    code: str


@dataclass(frozen=True)
class UserAuthorized(IntegratorEvent):
    """A person may now use the portal on behalf of the integrator (manual 7.1)."""

    TYPE = "ventanilla.integrator.user_authorized"
    VERSION = 1
    user_nif: str
    name: str
    surname1: str
    surname2: str
    email: str


@dataclass(frozen=True)
class AuthorizationRevoked(IntegratorEvent):
    """A person may no longer act for the integrator."""

    TYPE = "ventanilla.integrator.authorization_revoked"
    VERSION = 1
    user_nif: str


@dataclass(frozen=True)
class NoticePublished(IntegratorEvent):
    """Staff published a system notice; `nif` is NOTICES_KEY (all integrators see it)."""

    TYPE = "ventanilla.notice.published"
    VERSION = 1
    notice_id: str
    title: str
    body: str


NOTICES_KEY = "notices"

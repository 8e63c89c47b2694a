"""What the gateway's use cases need from outside: the integrators directory, client certificates' revocation, the
back-office topic, the status service's back-office reads (the clock is ventanilla.ports.Clock)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ventanilla.domain.integrators_directory import Credential, Unrecognized


class InvoiceNotFound(Exception):
    """The status service has no such invoice."""


class BackendUnavailable(Exception):
    """A backend (status service, Kafka) did not answer in time."""


class Directory(Protocol):
    """The integrators directory (ventanilla/adapters/directory_follower.py)."""

    def ready(self) -> bool: ...

    def credential(self, fingerprint: str, now: datetime) -> Credential | Unrecognized: ...


class Revocation(Protocol):
    """Client certificates' revocation (ventanilla/adapters/client_revocation.py), looked up without I/O."""

    def refusal(self, fingerprint: str, der: bytes) -> tuple[str, str] | None:
        """(reason, message) when the certificate must be refused (revoked; unknown under hard-fail); else None."""


@dataclass(frozen=True)
class Stamp:
    """What the gateway adds to a back office's message: the platform that sent it (authenticated), its message id,
    and when the gateway received it (the message's time when it gives none)."""

    platform_id: str
    integrator_nif: str
    certificate_sha256: str
    message_id: str
    received_at: datetime


class Outbox(Protocol):
    """The back-office topic: append one message (a state update or a verdict, backoffice.proto), stamped, keyed by
    its invoice, acknowledged by the broker."""

    def append(self, body: str, message: Any, stamp: Stamp) -> None: ...


class BackOffice(Protocol):
    """The status service's BackOfficeService: an invoice's history (with its centres) and documents."""

    def history(self, invoice_id: int) -> Any:
        """backoffice.proto's History (its centres name the oficina contable), relayed as it is."""

    def documents(self, invoice_id: int) -> Any:
        """backoffice.proto's Documents, relayed as they are."""

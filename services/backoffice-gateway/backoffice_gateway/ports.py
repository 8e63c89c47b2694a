"""What the gateway's use cases need from outside: the integrators directory, client certificates' revocation, the
back-office topic, the status service's back-office reads (the clock is ventanilla.ports.Clock)."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ventanilla.api.v1 import backoffice_pb2 as pb
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


class Outbox(Protocol):
    """The back-office topic: append one message keyed by its invoice, acknowledged by the broker."""

    def append(self, invoice_id: int, message: pb.BackOfficeMessage) -> None: ...


class BackOffice(Protocol):
    """The status service's BackOfficeService: an invoice's history (with its centres) and documents."""

    def history(self, invoice_id: int) -> pb.History: ...

    def documents(self, invoice_id: int) -> pb.Documents: ...

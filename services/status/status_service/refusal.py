"""What the back office is told when one of its messages is refused; no wire format here (contract.py has it)."""
from __future__ import annotations

from dataclasses import dataclass

from ventanilla.domain.errors import DomainError
from ventanilla.domain.invoice_commands import BackOfficeCommand


@dataclass(frozen=True)
class Refusal:
    """What the feedback topic is told about a refused message."""

    message_id: str
    invoice_id: int
    source_system: str
    error: DomainError


class ContractViolation(Exception):
    """A message that does not follow the contract; carries the refusal to publish."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.error.detail)
        self.refusal = refusal


def refusal_of(command: BackOfficeCommand, error: DomainError) -> Refusal:
    """The refusal of a well-formed command."""
    return Refusal(command.message_id, command.invoice_id, command.source_system, error)

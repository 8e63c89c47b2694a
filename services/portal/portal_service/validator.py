"""The invoice validator: every check the registry would make on a Facturae, registering nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ventanilla.domain.errors import DomainError
from ventanilla.facturae.document import FacturaeDocument
from ventanilla.facturae.intake import STEPS, FacturaeIntake
from portal_service.ports import Registry
from portal_service.registry import RegistryUnavailable

ALL_STEPS = STEPS + ("registered",)


@dataclass(frozen=True)
class Check:
    """One step and how it went: passed, failed, skipped (by configuration) or not_reached."""

    step: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class Report:
    """The checks in order, and the invoice's essentials when it could be read."""

    checks: tuple[Check, ...]
    document: FacturaeDocument | None

    @property
    def accepted(self) -> bool:
        """Whether the registry would register it now."""
        return all(c.outcome in ("passed", "skipped") for c in self.checks)


def validate(intake: FacturaeIntake, registry: Registry, caller_nif: str, data: bytes, at: datetime) -> Report:
    """Run the registry's checks in its order; the first refusal ends the run, later steps are not reached."""
    done: list[Check] = []
    try:
        document = intake.accept(data, at, lambda step, checked: done.append(Check(step, "passed" if checked
                                                                                     else "skipped")))
    except DomainError as error:
        failed = ALL_STEPS[len(done)]
        rest = [Check(step, "not_reached") for step in ALL_STEPS[len(done) + 1:]]
        return Report(tuple(done) + (Check(failed, "failed", f"{error.key.value}: {error.detail}"),) + tuple(rest), None)
    year = document.issue_date.year if document.issue_date else 0
    try:
        seen = registry.registered(caller_nif, document.supplier_nif, year, document.series, document.number)
        last = Check("registered", "failed", "factura.error.repetida") if seen else Check("registered", "passed")
    except RegistryUnavailable:
        last = Check("registered", "unavailable")
    return Report(tuple(done) + (last,), document)

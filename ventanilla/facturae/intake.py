"""Everything the registry checks on an uploaded Facturae: parsing, schema, signature, business rules."""
from __future__ import annotations

from datetime import date, datetime
from typing import Callable
from zoneinfo import ZoneInfo

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.document import FacturaeDocument
from ventanilla.facturae.parser import parse_facturae_tree, read_facturae
from ventanilla.facturae.rules import SUBJECTS, broken_rules, check_business_rules
from ventanilla.facturae.schema import FacturaeSchemas, SchemaViolation
from ventanilla.facturae.signature import verify_signature
from ventanilla.facturae.trust import CertificateChecker
from ventanilla.facturae.xml import XmlLimits

MADRID = ZoneInfo("Europe/Madrid")
STEPS = ("version", "schema", "signature", "certificate", "rules")  # in the order accept() takes them


class FacturaeIntake:
    """Accepts a Facturae or refuses it with a catalogue key; built once in a composition root."""

    def __init__(self, schemas: FacturaeSchemas | None, checker: CertificateChecker | None,
                 require_signature: bool = True, limits: XmlLimits = XmlLimits()):
        self._schemas = schemas
        self._checker = checker
        self._require_signature = require_signature
        self._limits = limits

    def accept(self, data: bytes, received_at: datetime,
               passed: Callable[[str, bool], object] = lambda step, done: None) -> FacturaeDocument:
        """The document's essentials once it passed every check; `received_at` is aware.

        `passed(step, checked)` hears of each step of STEPS as it is passed (checked=False: skipped by configuration).
        """
        root, version = parse_facturae_tree(data, self._limits)
        passed("version", True)
        today = received_at.astimezone(MADRID).date()
        if self._schemas is not None:
            try:
                self._schemas.validate(root, version)
            except SchemaViolation as invalid:
                raise anexo_refusal(root, today, invalid) from None
        passed("schema", self._schemas is not None)
        document = read_facturae(root)
        signed = document.signed or self._require_signature
        if signed:
            signed_by = verify_signature(root)
            passed("signature", True)
            if self._checker is None:
                raise DomainError(ErrorKey.TRUSTER, f"{ErrorKey.TRUSTER.description} No hay almacén de confianza.")
            self._checker.check(signed_by.certificate, signed_by.others, document.signing_time, received_at)
            passed("certificate", True)
        else:
            passed("signature", False)
            passed("certificate", False)
        check_business_rules(document, today)
        passed("rules", True)
        return document


def anexo_refusal(root, today: date, invalid: SchemaViolation) -> DomainError:
    """Anexo II's own key when the schema refused what a business rule judges (a missing IssueDate, missing or
    malformed administrative centres…), the schema's words as detail; else the schema's facturae.error.xml."""
    try:
        document = read_facturae(root)
    except DomainError:
        return invalid
    for broken in broken_rules(document, today):
        error = invalid.concerning(SUBJECTS.get(broken.key, ()))
        if error is not None:
            return DomainError(broken.key, f"{broken.detail} {invalid.describe(error)}")
    return invalid

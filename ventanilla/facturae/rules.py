"""PeFAC business rules over a parsed invoice: a tuple of small checks, first failure wins.

Dates, as mapped for PeFAC's catalogue:
- fechaEntrega.void: the delivery/operation date (`FacturaeDocument.operation_date`:
  OperationDate, else InvoicingPeriod/EndDate) is required only for recapitulative
  invoices (InvoiceClass OC or CC), whose Facturae definition demands an InvoicingPeriod;
  otherwise Facturae lets an absent OperationDate mean "same day as IssueDate".
- fechaEntrega.prior.fechaFactura ("the invoice date cannot be after the delivery date"):
  the "fecha de entrega" is read as the day the invoice is delivered to (presented at)
  Ventanilla, `today` on the Europe/Madrid calendar; an invoice dated after its
  presentation is refused. It is NOT compared with the delivery of the goods: an invoice
  issued after the goods were delivered is the normal case and is accepted.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.document import FacturaeDocument

# One letter + 8 digits or EA/LA/GE + 7 digits (DIR3_FORMAT.md), plus P + 8 digits for
# FACe test units (P00000010); all-zero and all-nine placeholders are not codes.
DIR3_CODE = re.compile(r"(?![A-Z]+(?:0+|9+)$)(?:[EALUIJOP]\d{8}|(?:EA|LA|GE)\d{7})", re.ASCII)
EARLIEST_ISSUE_DATE = date(2000, 1, 1)
RECAPITULATIVE_CLASSES = frozenset({"OC", "CC"})

Rule = Callable[[FacturaeDocument, date], None]


def _centre_declared(role: str, key: ErrorKey) -> Rule:
    """Build the check that the centre for role is present and DIR3-shaped."""

    def check(doc: FacturaeDocument, today: date) -> None:
        code = getattr(doc.centres, role)
        if code is None:
            raise DomainError(key)
        if not DIR3_CODE.fullmatch(code):
            raise DomainError(key, f"{key.description} El código '{code}' no es un código DIR3.")

    return check


def _issue_date_present(doc: FacturaeDocument, today: date) -> None:
    """Refuse an invoice without IssueDate."""
    if doc.issue_date is None:
        raise DomainError(ErrorKey.FECHA_FACTURA_VOID)


def _issued_since_2000(doc: FacturaeDocument, today: date) -> None:
    """Refuse an invoice dated before 2000-01-01."""
    if doc.issue_date is not None and doc.issue_date < EARLIEST_ISSUE_DATE:
        detail = f"{ErrorKey.FECHA_FACTURA_YEAR2000.description} La factura es del {doc.issue_date}."
        raise DomainError(ErrorKey.FECHA_FACTURA_YEAR2000, detail)


def _delivery_date_present(doc: FacturaeDocument, today: date) -> None:
    """Refuse a recapitulative invoice that states no delivery date or period."""
    if doc.operation_date is None and doc.invoice_class in RECAPITULATIVE_CLASSES:
        detail = (
            f"{ErrorKey.FECHA_ENTREGA_VOID.description} Una factura recapitulativa "
            f"(InvoiceClass {doc.invoice_class}) debe indicar OperationDate o InvoicingPeriod."
        )
        raise DomainError(ErrorKey.FECHA_ENTREGA_VOID, detail)


def _issued_not_after_presentation(doc: FacturaeDocument, today: date) -> None:
    """Refuse an invoice dated after the day it is presented."""
    if doc.issue_date is not None and doc.issue_date > today:
        detail = f"La fecha de la factura ({doc.issue_date}) es posterior a la fecha de presentación ({today})."
        raise DomainError(ErrorKey.FECHA_ENTREGA_PRIOR, detail)


def _total_not_negative(doc: FacturaeDocument, today: date) -> None:
    """Refuse a negative InvoiceTotal."""
    if doc.total < 0:
        raise DomainError(ErrorKey.TOTAL_NEG, f"{ErrorKey.TOTAL_NEG.description} Total: {doc.total}.")


def _payable_not_negative(doc: FacturaeDocument, today: date) -> None:
    """Refuse a negative TotalExecutableAmount (líquido)."""
    if doc.payable < 0:
        raise DomainError(ErrorKey.LIQUIDO_NEG, f"{ErrorKey.LIQUIDO_NEG.description} Líquido: {doc.payable}.")


RULES: tuple[Rule, ...] = (
    _centre_declared("oficina_contable", ErrorKey.OFICINA_CONTABLE),
    _centre_declared("organo_gestor", ErrorKey.ORGANO_GESTOR),
    _centre_declared("unidad_tramitadora", ErrorKey.UNIDAD_TRAMITADORA),
    _issue_date_present,
    _issued_since_2000,
    _delivery_date_present,
    _issued_not_after_presentation,
    _total_not_negative,
    _payable_not_negative,
)


# The elements each rule's key is about: a schema error naming one of them is that key's refusal too.
SUBJECTS: dict[ErrorKey, tuple[str, ...]] = {
    ErrorKey.OFICINA_CONTABLE: ("AdministrativeCentre", "CentreCode", "RoleTypeCode"),
    ErrorKey.ORGANO_GESTOR: ("AdministrativeCentre", "CentreCode", "RoleTypeCode"),
    ErrorKey.UNIDAD_TRAMITADORA: ("AdministrativeCentre", "CentreCode", "RoleTypeCode"),
    ErrorKey.FECHA_FACTURA_VOID: ("IssueDate",),
    ErrorKey.FECHA_FACTURA_YEAR2000: ("IssueDate",),
    ErrorKey.FECHA_ENTREGA_VOID: ("OperationDate", "InvoicingPeriod"),
    ErrorKey.FECHA_ENTREGA_PRIOR: ("IssueDate",),
    ErrorKey.TOTAL_NEG: ("InvoiceTotal",),
    ErrorKey.LIQUIDO_NEG: ("TotalExecutableAmount",),
}


def check_business_rules(doc: FacturaeDocument, today: date, rules: Sequence[Rule] = RULES) -> None:
    """Raise the DomainError of the first rule the invoice breaks; `today` is the presentation day."""
    for rule in rules:
        rule(doc, today)


def broken_rules(doc: FacturaeDocument, today: date, rules: Sequence[Rule] = RULES) -> Iterator[DomainError]:
    """The refusal of every rule the invoice breaks, in the rules' order."""
    for rule in rules:
        try:
            rule(doc, today)
        except DomainError as broken:
            yield broken

"""The essentials Ventanilla reads from one Facturae invoice.

Field mapping (paths relative to the Facturae root; Invoice = Invoices/Invoice):

- facturae_version: from the root namespace, cross-checked with FileHeader/SchemaVersion.
- supplier_nif / customer_nif: Parties/SellerParty|BuyerParty/TaxIdentification/
  TaxIdentificationNumber.
- series / number / invoice_class: Invoice/InvoiceHeader/InvoiceSeriesCode ("" when
  absent) / InvoiceNumber / InvoiceClass (OO, OR, OC, CO, CR, CC).
- issue_date: Invoice/InvoiceIssueData/IssueDate.
- operation_date, the PeFAC "fecha de entrega": InvoiceIssueData/OperationDate, else
  InvoiceIssueData/InvoicingPeriod/EndDate (the day the invoiced period of service or
  supply ended), else None. Facturae makes OperationDate mandatory only when it differs
  from IssueDate, so None means "the same day as the invoice" unless the invoice is
  recapitulative; see rules.py. Line-level dates (TransactionDate, LineItemPeriod) are
  not read.
- supplier_name / customer_name: the party's LegalEntity/CorporateName, else
  Individual/Name FirstSurname SecondSurname ("" when neither is there).
- currency: InvoiceIssueData/InvoiceCurrencyCode.
- total / payable ("líquido"): Invoice/InvoiceTotals/InvoiceTotal / TotalExecutableAmount.
- centres: Parties/BuyerParty/AdministrativeCentres/AdministrativeCentre/CentreCode by
  RoleTypeCode (01 oficina contable, 02 órgano gestor, 03 unidad tramitadora, 04 órgano
  proponente).
- treasury_key: Facturae has no "clave de tesorería"; PeFAC assigns it downstream, so
  the parser always leaves it None.
- signed / signing_time: a ds:Signature child of the root; its
  xades:SignedProperties/.../SigningTime (a naive time is taken as UTC).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class Centres:
    """DIR3 codes of the buyer's administrative centres, by FACe role."""

    oficina_contable: str | None = None
    organo_gestor: str | None = None
    unidad_tramitadora: str | None = None
    organo_proponente: str | None = None


@dataclass(frozen=True)
class FacturaeDocument:
    """One Facturae invoice as Ventanilla needs it: identity, dates, amounts, routing, signature."""

    facturae_version: str
    supplier_nif: str
    customer_nif: str
    series: str
    number: str
    invoice_class: str
    issue_date: date | None
    operation_date: date | None
    currency: str
    total: Decimal
    payable: Decimal
    centres: Centres
    signed: bool
    signing_time: datetime | None
    treasury_key: str | None = None
    supplier_name: str = ""
    customer_name: str = ""

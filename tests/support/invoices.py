"""Fresh, unique Facturae invoices made from the public samples (a business key registers only once).

The unsigned samples are used as they are, apart from InvoiceNumber (and optional padding). A stack
that requires signatures gets the edited document signed by `sign` (e.g. the session PKI's supplier).
"""
from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Callable

from lxml import etree

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "facturae" / "samples"
#: The public samples the registry accepts (the others lack DIR3 centres or hold a batch).
UNSIGNED = (
    "v3.2.2/invopop_invoice-face_unsigned.xml",  # no series
    "v3.2/fawno_factura-prueba-v1-2-0_unsigned.xml",  # series PACOP
)
#: Schema-valid but refused: no oficina contable (facturae.error.oficinaContableNotDefined).
WITHOUT_CENTRES = "v3.2.2/omeuid_Facturae-3.2.2-valid.xml"
_INVOICE = "Invoices/Invoice"


@dataclass(frozen=True)
class Invoice:
    """A submittable Facturae and the facts a test checks the answers against."""

    document: bytes
    supplier_nif: str
    customer_nif: str
    series: str
    number: str
    issue_date: date
    total: Decimal
    payable: Decimal
    version: str
    currency: str
    centres: dict[str, str]

    @property
    def tupla(self) -> dict:
        """The invoice's <NIF, ejercicio, serie, numero> as PorValores parameters (ejercicio: the year)."""
        tupla = {"nifcifProveedor": self.supplier_nif, "ejercicio": self.issue_date.year,
                 "numeroFactura": self.number}
        return {**tupla, "serie": self.series} if self.series else tupla


def sample_bytes(relative: str) -> bytes:
    """A public sample by its path below the samples directory."""
    return (SAMPLES / relative).read_bytes()


def unique_number(prefix: str = "T") -> str:
    """An InvoiceNumber no other test uses (Facturae allows 20 characters)."""
    return f"{prefix}{uuid.uuid4().hex[:12]}".upper()


def fresh_invoice(relative: str = UNSIGNED[0], number: str | None = None, pad_to: int = 0,
                  sign: Callable[[bytes], bytes] | None = None) -> Invoice:
    """The sample with a new InvoiceNumber, optionally grown to about pad_to bytes, optionally signed."""
    root = etree.fromstring(sample_bytes(relative), etree.XMLParser(resolve_entities=False, huge_tree=True))
    invoice = root.find(_INVOICE)
    invoice.find("InvoiceHeader/InvoiceNumber").text = number = number or unique_number()
    if pad_to:
        _pad(invoice, pad_to - len(_serialize(root)))
    return Invoice(
        document=sign(_serialize(root)) if sign else _serialize(root),
        supplier_nif=root.findtext("Parties/SellerParty/TaxIdentification/TaxIdentificationNumber"),
        customer_nif=root.findtext("Parties/BuyerParty/TaxIdentification/TaxIdentificationNumber"),
        series=invoice.findtext("InvoiceHeader/InvoiceSeriesCode") or "",
        number=number,
        issue_date=date.fromisoformat(invoice.findtext("InvoiceIssueData/IssueDate")),
        total=Decimal(invoice.findtext("InvoiceTotals/InvoiceTotal")),
        payable=Decimal(invoice.findtext("InvoiceTotals/TotalExecutableAmount")),
        version=root.findtext("FileHeader/SchemaVersion"),
        currency=invoice.findtext("InvoiceIssueData/InvoiceCurrencyCode"),
        centres=_centres(root),
    )


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _pad(invoice: etree._Element, missing: int) -> None:
    """Embed a related document (AdditionalData/RelatedDocuments, as large real invoices do)."""
    if missing <= 0:
        return
    additional = invoice.find("AdditionalData")
    if additional is None:
        additional = etree.SubElement(invoice, "AdditionalData")
    related = etree.Element("RelatedDocuments")
    after = additional.find("RelatedInvoice")
    additional.insert(0 if after is None else additional.index(after) + 1, related)
    attachment = etree.SubElement(related, "Attachment")
    etree.SubElement(attachment, "AttachmentFormat").text = "pdf"
    etree.SubElement(attachment, "AttachmentEncoding").text = "BASE64"
    raw = os.urandom(max(1, (missing - 200) * 3 // 4))
    etree.SubElement(attachment, "AttachmentData").text = base64.b64encode(raw).decode("ascii")


def _centres(root: etree._Element) -> dict[str, str]:
    roles = {"01": "oficinaContable", "02": "organoGestor", "03": "unidadTramitadora", "04": "organoProponente"}
    centres = {}
    for centre in root.iterfind("Parties/BuyerParty/AdministrativeCentres/AdministrativeCentre"):
        role = roles.get(centre.findtext("RoleTypeCode") or "")
        if role:
            centres[role] = centre.findtext("CentreCode")
    return centres

"""Turn uploaded bytes into a FacturaeDocument, refusing with PeFAC catalogue keys."""
from __future__ import annotations

import codecs
from datetime import datetime

from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae import fields
from ventanilla.facturae.document import Centres, FacturaeDocument
from ventanilla.facturae.xml import MalformedXmlError, RefusedXmlError, XmlLimits, parse_untrusted

FACTURAE_NAMESPACES = {
    "http://www.facturae.es/Facturae/2009/v3.2/Facturae": "3.2",
    "http://www.facturae.es/Facturae/2014/v3.2.1/Facturae": "3.2.1",
    "http://www.facturae.gob.es/formato/Versiones/Facturaev3_2_2.xml": "3.2.2",
}
DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
XADES_SIGNING_TIMES = (
    ".//{http://uri.etsi.org/01903/v1.3.2#}SigningTime",
    ".//{http://uri.etsi.org/01903/v1.2.2#}SigningTime",
)
CENTRE_ROLES = {
    "01": "oficina_contable",
    "02": "organo_gestor",
    "03": "unidad_tramitadora",
    "04": "organo_proponente",
}
_BOMS = {
    codecs.BOM_UTF8: "utf-8",
    codecs.BOM_UTF16_LE: "utf-16-le",
    codecs.BOM_UTF16_BE: "utf-16-be",
}


def parse_facturae(data: bytes, limits: XmlLimits = XmlLimits()) -> FacturaeDocument:
    """Parse one uploaded Facturae invoice (signed or not) into its essentials."""
    root, _ = parse_facturae_tree(data, limits)
    return read_facturae(root)


def parse_facturae_tree(data: bytes, limits: XmlLimits = XmlLimits()) -> tuple[etree._Element, str]:
    """Parse the upload into its tree and Facturae version, before any field is read."""
    root = _parse(data, limits)
    return root, _version(root)


def read_facturae(root: etree._Element) -> FacturaeDocument:
    """The essentials of a parsed Facturae tree."""
    version = _version(root)
    invoice = _single_invoice(root)
    seller = "Parties/SellerParty/TaxIdentification/TaxIdentificationNumber"
    buyer = "Parties/BuyerParty/TaxIdentification/TaxIdentificationNumber"
    signature = root.find(DS_SIGNATURE)
    return FacturaeDocument(
        facturae_version=version,
        supplier_nif=fields.required_text(root, seller),
        customer_nif=fields.required_text(root, buyer),
        series=fields.text(invoice, "InvoiceHeader/InvoiceSeriesCode") or "",
        number=fields.required_text(invoice, "InvoiceHeader/InvoiceNumber"),
        invoice_class=fields.text(invoice, "InvoiceHeader/InvoiceClass") or "",
        issue_date=fields.optional_date(invoice, "InvoiceIssueData/IssueDate"),
        operation_date=fields.optional_date(invoice, "InvoiceIssueData/OperationDate")
        or fields.optional_date(invoice, "InvoiceIssueData/InvoicingPeriod/EndDate"),
        currency=fields.required_text(invoice, "InvoiceIssueData/InvoiceCurrencyCode"),
        total=fields.required_decimal(invoice, "InvoiceTotals/InvoiceTotal"),
        payable=fields.required_decimal(invoice, "InvoiceTotals/TotalExecutableAmount"),
        centres=_centres(root),
        signed=signature is not None,
        signing_time=_signing_time(signature),
        supplier_name=_party_name(root.find("Parties/SellerParty")),
        customer_name=_party_name(root.find("Parties/BuyerParty")),
    )


def _party_name(party: etree._Element | None) -> str:
    """A party's corporate name, or an individual's name and surnames."""
    if party is None:
        return ""
    corporate = fields.text(party, "LegalEntity/CorporateName")
    if corporate:
        return corporate
    parts = (fields.text(party, f"Individual/{n}") for n in ("Name", "FirstSurname", "SecondSurname"))
    return " ".join(p for p in parts if p)


def _parse(data: bytes, limits: XmlLimits) -> etree._Element:
    """Parse the upload as hardened XML, telling an empty upload and non-XML apart."""
    if not data or data.isspace():
        raise DomainError(ErrorKey.UPLOAD_VOID)
    if not _looks_like_xml(data):
        raise DomainError(ErrorKey.NO_XML)
    try:
        return parse_untrusted(data, limits)
    except MalformedXmlError as error:
        raise DomainError(ErrorKey.XML, f"XML mal formado: {error}") from None
    except RefusedXmlError as error:
        raise DomainError(ErrorKey.XML, f"XML rechazado: {error}") from None


def _looks_like_xml(data: bytes) -> bool:
    """Tell whether the upload starts like markup (after an optional BOM and blanks)."""
    head = data[:256]
    for bom, encoding in _BOMS.items():
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore").lstrip().startswith("<")
    return head.lstrip().startswith(b"<")


def _version(root: etree._Element) -> str:
    """Return the Facturae version named by the root namespace and SchemaVersion."""
    name = etree.QName(root)
    version = FACTURAE_NAMESPACES.get(name.namespace or "")
    if name.localname != "Facturae" or version is None:
        detail = f"El elemento raíz {{{name.namespace or ''}}}{name.localname} no es Facturae 3.2, 3.2.1 ni 3.2.2."
        raise DomainError(ErrorKey.VERSION_DESCONOCIDA, detail)
    declared = fields.text(root, "FileHeader/SchemaVersion")
    if declared != version:
        detail = f"SchemaVersion '{declared or ''}' no coincide con el espacio de nombres de Facturae {version}."
        raise DomainError(ErrorKey.VERSION_DESCONOCIDA, detail)
    return version


def _single_invoice(root: etree._Element) -> etree._Element:
    """Return the only Invoice, refusing batches: one submission carries one invoice."""
    invoices = root.findall("Invoices/Invoice")
    declared = fields.optional_integer(root, "FileHeader/Batch/InvoicesCount") or 0
    count = max(len(invoices), declared)
    if count > 1:
        raise DomainError(ErrorKey.XML, f"Un envío contiene una sola factura; el lote contiene {count}.")
    if not invoices:
        raise DomainError(ErrorKey.XML, "Falta el elemento obligatorio Invoices/Invoice.")
    return invoices[0]


def _centres(root: etree._Element) -> Centres:
    """Collect the buyer's centre codes by FACe role, refusing two codes for one role."""
    codes: dict[str, str] = {}
    path = "Parties/BuyerParty/AdministrativeCentres/AdministrativeCentre"
    for centre in root.iterfind(path):
        role = CENTRE_ROLES.get(fields.text(centre, "RoleTypeCode") or "")
        code = fields.text(centre, "CentreCode")
        if role is None or code is None:
            continue
        if codes.setdefault(role, code) != code:
            detail = f"La factura declara dos códigos para {role}: {codes[role]} y {code}."
            raise DomainError(ErrorKey.XML, detail)
    return Centres(**codes)


def _signing_time(signature: etree._Element | None) -> datetime | None:
    """Return the XAdES SigningTime of the document's signature, if any."""
    if signature is None:
        return None
    for path in XADES_SIGNING_TIMES:
        element = signature.find(path)
        if element is not None:
            return fields.timestamp(element)
    return None

"""One invoice, five spellings of its seller's NIF: one registration, found by a tuple query in any spelling."""
from __future__ import annotations

import uuid

import pytest
from lxml import etree

from . import soap

pytestmark = pytest.mark.e2e
SPELLINGS = ("B35000017", "ESB35000017", "b35000017", "ES-B35000017", "B 35000017")
SELLER = "Parties/SellerParty/TaxIdentification/TaxIdentificationNumber"


def _body(response) -> etree._Element:
    return soap.parse(response)[0][0]


def test_each_spelling_of_the_seller_registers_once_and_finds_it(stack, sample, sign_invoice):
    number = f"NIF-{uuid.uuid4().hex[:10]}"
    root = etree.fromstring(sample("v3.2.2/invopop_invoice-face_unsigned.xml"))
    root.find("Invoices/Invoice/InvoiceHeader/InvoiceNumber").text = number
    year = root.findtext("Invoices/Invoice/InvoiceIssueData/IssueDate")[:4]
    answers = []
    for spelling in SPELLINGS:  # submitted by the stack's third-party biller, as the seller wrote it
        root.find(SELLER).text = spelling
        signed = sign_invoice(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        answers.append(_body(soap.post(stack.soap_url, *soap.enviar_inline(signed))))
    first = answers[0].findtext("return/id")
    assert first and int(first) > 0, etree.tostring(answers[0])
    for answer in answers[1:]:
        assert answer.findtext(f"detail/{{{soap.NS}}}ServicioError/mensajesError") == \
            "facturae.error.validation.facturaRepetida", etree.tostring(answer)
    for spelling in SPELLINGS:
        query = (f"<nifcifProveedor>{spelling}</nifcifProveedor><ejercicio>{year}</ejercicio>"
                 f"<numeroFactura>{number}</numeroFactura>")
        found = _body(soap.post(stack.soap_url, "text/xml; charset=utf-8",
                                soap.envelope("consultarFacturaPorValores", query)))
        assert found.findtext("return/id") == first, (spelling, etree.tostring(found))
        assert found.findtext("return/nifProveedor") == "B35000017"  # the invoice keeps what it said

"""MTOM/XOP: every incoming case spyne 2.14 gets wrong, plus the outgoing rewrite."""
from __future__ import annotations

import base64
import os

import pytest
from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.soap import mtom

from .fakes import ROOT_HEADERS, envelope, include, multipart

FACTURAE = b"<?xml version='1.0'?><fe:Facturae xmlns:fe='urn:f'/>\r\n"


def part(cid: str | None, data: bytes, **extra) -> tuple[dict, bytes]:
    headers = {"Content-Type": "application/octet-stream", "Content-Transfer-Encoding": "binary"}
    if cid is not None:
        headers["Content-ID"] = f"<{cid}>"
    headers.update(extra)
    return headers, data


def enviar(facturae: str, *anexos: str, declaration: bool = False) -> bytes:
    inner = f"<facturae>{facturae}</facturae>" + "".join(
        f"<anexos><nombre>a{i}.pdf</nombre><contenido>{c}</contenido></anexos>" for i, c in enumerate(anexos))
    return envelope("enviarFactura", inner, declaration=declaration)


def binary_of(envelope: mtom.Envelope, path: str) -> list[bytes]:
    """The bytes of each element named path: its part for a placeholder, else its inline base64."""
    return [bytes(envelope.binary(base64.b64decode(e.text))) for e in envelope.root.iter(path)]


def test_plain_inline_base64_passes_through():
    body = enviar(base64.b64encode(FACTURAE).decode())
    envelope = mtom.parse_envelope("text/xml; charset=utf-8", body)
    assert binary_of(envelope, "facturae") == [FACTURAE]


def test_include_on_facturae_and_on_every_anexo():
    pdf1, pdf2 = b"%PDF-1 one\r\n", os.urandom(3000)
    root_xml = enviar(include("f@x"), include("a1@x"), include("a2@x"))
    content_type, body = multipart([(ROOT_HEADERS, root_xml), part("f@x", FACTURAE),
                                    part("a1@x", pdf1), part("a2@x", pdf2)])
    envelope = mtom.parse_envelope(content_type, body)
    assert binary_of(envelope, "facturae") == [FACTURAE]
    assert binary_of(envelope, "contenido") == [pdf1, pdf2]
    assert not list(envelope.root.iter(mtom.XOP_INCLUDE))
    assert all(len(e.text) == 20 for e in envelope.root.iter("facturae", "contenido"))  # placeholders only


def test_root_part_starting_with_xml_declaration():
    content_type, body = multipart([(ROOT_HEADERS, enviar(include("f@x"), declaration=True)), part("f@x", FACTURAE)])
    assert binary_of(mtom.parse_envelope(content_type, body), "facturae") == [FACTURAE]


def test_url_encoded_cid_reference_rfc2392():
    cid = "factura 1/2@cliente.example"
    href = "factura%201%2F2%40cliente.example"
    content_type, body = multipart([(ROOT_HEADERS, enviar(include(href))), part(cid, FACTURAE)])
    assert binary_of(mtom.parse_envelope(content_type, body), "facturae") == [FACTURAE]


def test_part_over_lxml_text_limit_9_mb():
    big = os.urandom(9 * 1024 * 1024)
    content_type, body = multipart([(ROOT_HEADERS, enviar(include("f@x"))), part("f@x", big)])
    assert binary_of(mtom.parse_envelope(content_type, body), "facturae") == [big]


def test_inline_base64_over_lxml_text_limit():
    big = os.urandom(8 * 1024 * 1024)  # 11 MB of base64 text in one node
    envelope = mtom.parse_envelope("text/xml", enviar(base64.b64encode(big).decode()))
    assert binary_of(envelope, "facturae") == [big]


def test_root_part_without_content_id_and_unreferenced_part_without_one():
    root_headers = {k: v for k, v in ROOT_HEADERS.items() if k != "Content-ID"}
    content_type, body = multipart([(root_headers, enviar(include("f@x"))), part("f@x", FACTURAE),
                                    part(None, b"stray")])
    assert binary_of(mtom.parse_envelope(content_type, body), "facturae") == [FACTURAE]


def test_start_parameter_selects_the_root_part():
    content_type, body = multipart([part("f@x", FACTURAE), (ROOT_HEADERS, enviar(include("f@x")))],
                                   start="<root.message@cxf.apache.org>")
    assert binary_of(mtom.parse_envelope(content_type, body), "facturae") == [FACTURAE]


def test_binary_bytes_kept_exactly_including_edge_crlf():
    data = b"\r\n\r\n--not-a-boundary\r\n\x00\xff\r\n"
    content_type, body = multipart([(ROOT_HEADERS, enviar(include("f@x"))), part("f@x", data)])
    assert binary_of(mtom.parse_envelope(content_type, body), "facturae") == [data]


def test_empty_part_and_base64_transfer_encoding():
    content_type, body = multipart([(ROOT_HEADERS, enviar(include("f@x"), include("a@x"))), part("f@x", b""),
                                    part("a@x", base64.encodebytes(FACTURAE), **{"Content-Transfer-Encoding": "base64"})])
    envelope = mtom.parse_envelope(content_type, body)
    assert binary_of(envelope, "facturae") == [b""]
    assert binary_of(envelope, "contenido") == [FACTURAE]


def refused(content_type: str, body: bytes) -> DomainError:
    with pytest.raises(DomainError) as caught:
        mtom.parse_envelope(content_type, body)
    assert caught.value.key is ErrorKey.XML
    return caught.value


def test_duplicate_content_ids_are_refused():
    content_type, body = multipart([(ROOT_HEADERS, enviar(include("f@x"))), part("f@x", b"1"), part("f@x", b"2")])
    assert "repetido" in refused(content_type, body).detail


def test_reference_to_a_missing_part_is_refused():
    content_type, body = multipart([(ROOT_HEADERS, enviar(include("nope@x"))), part("f@x", FACTURAE)])
    assert "cid:nope@x" in refused(content_type, body).detail


def test_include_that_is_not_a_cid_is_refused():
    root_xml = enviar('<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="http://evil/x"/>')
    content_type, body = multipart([(ROOT_HEADERS, root_xml)])
    refused(content_type, body)


@pytest.mark.parametrize("content_type, body", [
    ('multipart/related; type="application/xop+xml"', b"--x\r\n\r\n<a/>\r\n--x--"),   # no boundary
    ('multipart/related; boundary="x"', b"no parts at all"),
    ('multipart/related; boundary="x"', b"--x\r\nContent-ID: <r>\r\n\r\n<a/>"),      # truncated
    ('multipart/related; boundary="x"; start="<missing>"', b"--x\r\nContent-ID: <r>\r\n\r\n<a/>\r\n--x--"),
    ("text/xml", b"<a"),
    ("text/xml", b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'),
])
def test_malformed_messages_are_refused(content_type, body):
    refused(content_type, body)


def test_to_mtom_moves_the_receipt_to_its_own_part_and_round_trips():
    pdf = b"%PDF-1.4\r\nbody\r\n%%EOF\r\n"
    response = (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><r><return><id>1</id>'
                b"<comprobanteRegistro>" + base64.b64encode(pdf) + b"</comprobanteRegistro></return></r></s:Body></s:Envelope>")
    content_type, chunks = mtom.to_mtom(response)
    media, params = mtom.content_type(content_type)
    assert media == "multipart/related" and params["type"] == "application/xop+xml"
    assert params["start"].startswith("<root.") and params["start-info"] == "text/xml"
    body = b"".join(chunks)
    assert pdf in body and base64.b64encode(pdf) not in body
    envelope = mtom.parse_envelope(content_type, body)
    assert binary_of(envelope, "comprobanteRegistro") == [pdf]


def test_to_mtom_keeps_the_xop_include_in_the_element():
    response = b"<e><return><comprobanteRegistro>QUJD</comprobanteRegistro></return></e>"
    content_type, chunks = mtom.to_mtom(response)
    root_part = chunks[1]
    element = etree.fromstring(root_part).find("return/comprobanteRegistro")
    (child,) = element
    assert child.tag == mtom.XOP_INCLUDE and child.get("href").startswith("cid:") and not element.text


def test_to_mtom_without_binary_content_leaves_the_answer_alone():
    assert mtom.to_mtom(b"<e><return><id>1</id><comprobanteRegistro/></return></e>") is None


def test_content_type_parsing():
    assert mtom.is_mtom('Multipart/Related; type="application/xop+xml"; boundary="b"')
    assert not mtom.is_mtom("text/xml; charset=utf-8")
    assert mtom.content_type('multipart/related; boundary="uuid:1"; start="<a@b>"')[1] == {
        "boundary": "uuid:1", "start": "<a@b>"}


def test_inline_base64_next_to_an_include_keeps_its_own_bytes():
    inline = base64.b64encode(b"%PDF inline anexo").decode()
    content_type, body = multipart([(ROOT_HEADERS, enviar(include("f@x"), inline)), part("f@x", FACTURAE)])
    envelope = mtom.parse_envelope(content_type, body)
    assert binary_of(envelope, "facturae") == [FACTURAE]
    assert binary_of(envelope, "contenido") == [b"%PDF inline anexo"]
    assert len(envelope.parts) == 1


def test_each_include_gets_a_fresh_random_placeholder():
    content_type, body = multipart([(ROOT_HEADERS, enviar(include("f@x"), include("a@x"))), part("f@x", FACTURAE),
                                    part("a@x", FACTURAE)])  # the same bytes twice, in two parts
    first, second = mtom.parse_envelope(content_type, body), mtom.parse_envelope(content_type, body)
    assert len(first.parts) == 2 and not set(first.parts) & set(second.parts)
    assert binary_of(first, "contenido") == [FACTURAE]

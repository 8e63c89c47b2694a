"""Hostile SOAP and MIME input through the whole front: a quick catalogue fault, bounded memory, no backend call."""
from __future__ import annotations

import time
import tracemalloc

import pytest
from lxml import etree

from ventanilla.facturae.xml import RefusedXmlError, XmlLimits, parse_untrusted

from soap_edge.soap.multipart import MAX_HEADER_BYTES, MAX_PARTS

from .fakes import ROOT_HEADERS, TNS, Client, FakeBackends, edge, envelope, include, multipart

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']><S:Envelope xmlns:S="' + SOAP.encode() + b'"><S:Body><ns:version xmlns:ns="' + TNS.encode()
          + b'">&lol9;</ns:version></S:Body></S:Envelope>')
QUADRATIC = (b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "' + b"A" * 50_000 + b'">]><S:Envelope xmlns:S="'
             + SOAP.encode() + b'"><S:Body><ns:version xmlns:ns="' + TNS.encode() + b'">' + b"&a;" * 50_000
             + b"</ns:version></S:Body></S:Envelope>")


def xxe(system_id: str) -> bytes:
    return (b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "' + system_id.encode() + b'">]>'
            + envelope("consultarFactura", "<idFactura>&x;</idFactura>"))


def refused(body: bytes, content_type: str = "text/xml; charset=utf-8", seconds: float = 2.0, peak_mb: float = 64):
    """Post body; assert a facturae.error.xml fault within seconds, under peak_mb, nothing sent on."""
    backends = FakeBackends()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        reply = Client(edge(backends)).post(body, content_type=content_type)
        elapsed, (_, peak) = time.perf_counter() - started, tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    key = etree.fromstring(reply.body).findtext(f".//{{{TNS}}}ServicioError/mensajesError")
    assert reply.code in (400, 500) and key == "facturae.error.xml", reply.body[:300]
    assert backends.calls == [], "nothing may reach the backends"
    assert elapsed < seconds and peak < peak_mb * 2**20 + len(body) * 3, (elapsed, peak)
    return reply


def test_xxe_to_a_local_file_is_refused_and_the_file_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    assert b"TOP-SECRET-42" not in refused(xxe(secret.as_uri())).body


@pytest.mark.parametrize("body", [LAUGHS, QUADRATIC], ids=["billion-laughs", "quadratic-blowup"])
def test_entity_expansion_is_refused(body):
    refused(body)


@pytest.mark.parametrize("inner", [
    b"<a>" * 100_000 + b"</a>" * 100_000,                       # depth
    b"<a/>" * 30_000,                                             # element count
    b'<a b="' + b"x" * 100_000 + b'"/>',                          # attribute size
    b"<a " + b" ".join(b'a%d="1"' % i for i in range(100_000)) + b"/>",  # attribute count (1 MB of them)
], ids=["depth", "elements", "attribute-size", "attribute-count"])
def test_shapes_over_the_envelope_limits_are_refused(inner):
    refused(envelope("consultarGrupoEstadosFactura", inner))


@pytest.mark.parametrize("charset", ["x-no-such-charset", "ebcdic-cp-us-nonsense", '"iso-8859-1\x00x"'])
def test_unknown_or_odd_charsets_are_a_fault(charset):
    refused(envelope("version"), content_type=f"text/xml; charset={charset}")


def test_the_same_attacks_inside_an_mtom_root_part():
    content_type, body = multipart([(ROOT_HEADERS, LAUGHS)])
    refused(body, content_type)


def _part(cid: str, data: bytes = b"x") -> tuple[dict, bytes]:
    return {"Content-Type": "application/octet-stream", "Content-ID": f"<{cid}>"}, data


def _root(inner: str) -> tuple[dict, bytes]:
    return ROOT_HEADERS, envelope("enviarFactura", inner)


@pytest.mark.parametrize("content_type, body", [
    multipart([_root(f"<facturae>{include('p0')}</facturae>")] + [_part(f"p{i}") for i in range(MAX_PARTS)]),
    multipart([({**ROOT_HEADERS, "X-Padding": "p" * (MAX_HEADER_BYTES + 10)},
                envelope("enviarFactura", "<facturae>eA==</facturae>"))]),
    multipart([_root(f"<facturae>{include('p')}</facturae><anexos><nombre>a</nombre><contenido>{include('p')}"
                     "</contenido></anexos>"), _part("p")]),
    multipart([_root(f"<facturae>{include('root.message@cxf.apache.org')}</facturae>")]),
    multipart([_root(f"<facturae>{include('missing')}</facturae>"), _part("p")]),
    multipart([_root(f"<facturae>{include('p')}</facturae>"), _part("p"), _part("p", b"y")]),
    multipart([_root("<facturae>eA==</facturae>")], boundary="b" * 71),
    ('multipart/related; type="application/xop+xml"; boundary="b\u00e9"', "--b\u00e9\r\n\r\nx\r\n--b\u00e9--".encode()),
    multipart([_root(f"<facturae>{include('p')}</facturae>"),
               ({"Content-ID": "<p>", "Content-Transfer-Encoding": "base64"}, b"abc")]),
    ('multipart/related; type="application/xop+xml"; boundary=abc', b"--abc\r\nContent-ID: <r>\r\n\r\n<x/>"),
    ('multipart/related; type="application/xop+xml"; boundary=abc', b"no delimiter at all"),
    ('multipart/related; type="application/xop+xml"; boundary=abc; start="<nope>"', b"--abc\r\n\r\n<x/>\r\n--abc--"),
], ids=["too-many-parts", "header-too-long", "part-referenced-twice", "root-referenced", "missing-part",
        "duplicate-content-id", "bad-base64-part", "boundary-too-long", "boundary-not-ascii", "no-final-delimiter", "no-delimiter",
        "start-missing"])
def test_malformed_or_abusive_mime_is_refused(content_type, body):
    refused(body, content_type)


def test_at_the_part_limit_the_message_is_accepted():
    parts = [_root("<facturae>eA==</facturae>")] + [_part(f"p{i}") for i in range(MAX_PARTS - 1)]
    content_type, body = multipart(parts)
    assert Client(edge()).post(body, content_type=content_type).code == 200


def test_text_and_attribute_limits_of_the_hardened_parser():
    with pytest.raises(RefusedXmlError, match="text longer"):
        parse_untrusted(b"<a>" + b"x" * 101 + b"</a>", XmlLimits(max_text_chars=100))
    with pytest.raises(RefusedXmlError, match="attributes longer"):
        parse_untrusted(b'<a b="' + b"x" * 101 + b'"/>', XmlLimits(max_attribute_chars=100))
    with pytest.raises(RefusedXmlError, match="more than 3 attributes"):
        parse_untrusted(b'<a b="1" c="2" d="3" e="4"/>', XmlLimits(max_attributes=3))
    assert parse_untrusted(b"<a>" + b"x" * 100 + b"</a>", XmlLimits(max_text_chars=100)).text == "x" * 100


@pytest.mark.parametrize("content_type", ["text/x\x01\x00ml; charset=iso-8859-1", "application/\ud800json"])
def test_control_characters_echoed_in_a_fault_are_replaced_not_a_crash(content_type):
    """Found by the fuzz run: a content-type fault quoting a Content-Type with NUL bytes was a server error."""
    reply = Client(edge()).post(envelope("version"), content_type=content_type)
    assert reply.code == 500 and b"facturae.error.xml" in reply.body and "\ufffd".encode() in reply.body

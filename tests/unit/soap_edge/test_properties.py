"""Property-based: generated envelopes and MIME bodies always get a valid answer or a catalogue fault."""
from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.targets import Edge

from .fakes import ROOT_HEADERS, envelope, include, multipart

EDGE = settings(max_examples=100, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
OPERATIONS = ["version", "enviarFactura", "consultarFactura", "consultarFacturaPorValores", "consultarEstadoFactura",
              "consultarGrupoEstadosFactura", "consultarGrupoEstadoFacturasPorValores", "anularFactura", "nope"]
FIELDS = ["facturae", "anexos", "nombre", "contenido", "idFactura", "facturaId", "nifcifProveedor", "ejercicio",
          "serie", "numeroFactura", "motivoAnulacion", "facturaTupla", "x"]
TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["1", "-1", "99999999999999999999", "2021", "2021-13-45",
                                                        "eA==", "!!!", "B23103039", "&amp;", "]]>", "\x00"]))
CONTENT_TYPES = st.sampled_from(["text/xml; charset=utf-8", "text/xml", "application/xml", "text/xml; charset=latin-1",
                                 "text/xml; charset=utf-16", "text/xml; charset=bogus", "application/json", ""])


def _xml_text(value: str) -> str:
    return "".join(c for c in value if c in "\t\n\r" or " " <= c <= "\ud7ff").replace("&", "&amp;").replace("<", "&lt;")


@st.composite
def elements(draw, depth: int = 0) -> str:
    """A random element tree with the contract's field names, text and sometimes attributes."""
    name = draw(st.sampled_from(FIELDS))
    attribute = draw(st.sampled_from(["", ' a="1"', ' xmlns:x="urn:x"', ' x:y="z"']))
    if depth < 3 and draw(st.booleans()):
        children = "".join(draw(st.lists(elements(depth + 1), max_size=3)))
    else:
        children = _xml_text(draw(TEXT))
    return f"<{name}{attribute}>{children}</{name}>"


@st.composite
def envelopes(draw) -> bytes:
    """A SOAP envelope (or something like one) around a random operation."""
    body = envelope(draw(st.sampled_from(OPERATIONS)), "".join(draw(st.lists(elements(), max_size=4))),
                    declaration=draw(st.booleans()))
    prefix = draw(st.sampled_from([b"", b"<!DOCTYPE x>", b'<!DOCTYPE x [<!ENTITY e "e">]>', b"\xef\xbb\xbf", b" "]))
    return prefix + body


@st.composite
def mutated(draw) -> bytes:
    """A valid envelope with a few bytes replaced, inserted or removed."""
    data = bytearray(draw(envelopes()))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(st.binary(min_size=1, max_size=3))
        if action == "insert":
            data[position:position] = byte
        elif action == "delete":
            del data[position:position + len(byte)]
        else:
            data[position:position + len(byte)] = byte
    return bytes(data)


@given(body=st.one_of(envelopes(), mutated(), st.binary(max_size=300)), content_type=CONTENT_TYPES)
@EDGE
def test_any_envelope_gets_an_answer_or_a_catalogue_fault(body, content_type):
    Edge.shared().check(body, content_type)


CIDS = st.sampled_from(["a", "b", "root.message@cxf.apache.org", "a%40b", "", "<x>", "a b"])
ENCODINGS = st.sampled_from(["binary", "base64", "quoted-printable", "8bit", "x-junk", ""])


@st.composite
def mime_bodies(draw) -> tuple[str, bytes]:
    """multipart/related bodies: root envelopes with xop:Includes to random parts, random part headers."""
    includes = "".join(f"<contenido>{include(draw(CIDS))}</contenido>" for _ in range(draw(st.integers(0, 3))))
    root_headers = dict(ROOT_HEADERS)
    if draw(st.booleans()):
        root_headers["Content-Type"] = draw(st.sampled_from(["text/plain", 'application/xop+xml; charset="x"', ""]))
    parts = [(root_headers, envelope("enviarFactura", f"<facturae>{include(draw(CIDS))}</facturae>{includes}"))]
    for _ in range(draw(st.integers(0, 4))):
        headers = {"Content-ID": f"<{draw(CIDS)}>", "Content-Transfer-Encoding": draw(ENCODINGS)}
        data = draw(st.one_of(st.binary(max_size=40), st.just(base64.b64encode(b"%PDF-1.4"))))
        parts.append((headers, data))
    boundary = draw(st.sampled_from(["uuid:b0undary", "b", "x" * 70, "x" * 71, "a\"b", "é"]))
    start = draw(st.sampled_from([None, "<root.message@cxf.apache.org>", "<a>", "<nope>"]))
    content_type, body = multipart(parts, boundary=boundary, start=start)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + draw(st.binary(max_size=8)) + body[cut + draw(st.integers(0, 20)):]
    return content_type, body


@given(message=mime_bodies())
@EDGE
def test_any_mime_body_gets_an_answer_or_a_catalogue_fault(message):
    content_type, body = message
    Edge.shared().check(body, content_type)

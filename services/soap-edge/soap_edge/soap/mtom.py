"""MTOM/XOP: incoming multipart/related (or plain) SOAP requests, and outgoing MTOM responses."""
from __future__ import annotations

import binascii
import os
import uuid
from dataclasses import dataclass, field
from email.message import Message
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Mapping
from urllib.parse import unquote

from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.xml import UntrustedXmlError, XmlLimits, parse_untrusted

from soap_edge.soap.multipart import decoded, split

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENVELOPE, SOAP_BODY = f"{{{SOAP_ENV}}}Envelope", f"{{{SOAP_ENV}}}Body"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
XOP_INCLUDE = f"{{{XOP_NS}}}Include"
MAX_BOUNDARY_CHARS = 70       # RFC 2046
ENVELOPE_LIMITS = XmlLimits(max_depth=32, max_elements=20_000)


def _bad(detail: str) -> DomainError:
    return DomainError(ErrorKey.XML, detail)


@lru_cache(maxsize=64)  # the front, the body check and the parser each ask for the same request's value
def content_type(value: str) -> tuple[str, Mapping[str, str]]:
    """The lower-case media type of a Content-Type value and its (read-only) parameters."""
    message = Message()
    try:
        message["content-type"] = value or ""
        params = {k.lower(): v for k, v in (message.get_params() or [])[1:]}
        return message.get_content_type(), MappingProxyType({k: v for k, v in params.items() if isinstance(v, str)})
    except (UnicodeError, ValueError, IndexError, TypeError):  # not a header value at all
        return "", MappingProxyType({})


def child(element: etree._Element, tag: str) -> etree._Element | None:
    """The element's first child of that (Clark-notation) tag, as element.find(tag) without its path machinery."""
    for candidate in element:
        if candidate.tag == tag:
            return candidate
    return None


def is_mtom(value: str) -> bool:
    """Whether a Content-Type announces a multipart/related (MTOM/XOP) message."""
    return content_type(value)[0] == "multipart/related"


@dataclass(frozen=True)
class Envelope:
    """A request's SOAP Envelope; each xop:Include is replaced by the base64 of a random placeholder for its part.

    The parts stay where they are (views of the body): the tree and spyne only ever see a few bytes per
    binary, and `binary` swaps a placeholder for its part. A placeholder is 15 random bytes per part and
    request, so no inline base64 a client sends can stand for a part.
    """

    root: etree._Element
    parts: dict[bytes, bytes | memoryview] = field(default_factory=dict)

    @cached_property
    def operation(self) -> str | None:
        """The local name of the Body's first element (None: not a SOAP 1.1 Envelope with an operation)."""
        body = child(self.root, SOAP_BODY) if self.root.tag == SOAP_ENVELOPE else None
        first = body[0] if body is not None and len(body) else None
        return first.tag.rpartition("}")[2] if first is not None and isinstance(first.tag, str) else None

    def binary(self, value: bytes) -> bytes | memoryview:
        """The part that value is the placeholder of, else value itself."""
        return self.parts.get(value, value) if self.parts else value


def parse_envelope(value: str, body: bytes) -> Envelope:
    """The SOAP Envelope of a request body (plain or MTOM), every xop:Include replaced by a part placeholder."""
    mime, params = content_type(value)
    if mime != "multipart/related":
        return Envelope(_parse(body, params.get("charset")))
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > MAX_BOUNDARY_CHARS or not boundary.isascii():
        raise _bad("Mensaje multipart/related sin un parámetro boundary válido (1 a 70 caracteres ASCII).")
    parts = split(body, boundary.encode("ascii"))
    by_cid: dict[str, tuple[dict, memoryview]] = {}
    for headers, data in parts:
        cid = headers.get("content-id", "").strip().strip("<>")
        if cid and by_cid.setdefault(cid, (headers, data))[1] is not data:
            raise _bad(f"Content-ID repetido en el mensaje MTOM: <{cid}>.")
    start = params.get("start", "").strip().strip("<>")
    if start and start not in by_cid:
        raise _bad(f"La parte raíz <{start}> indicada en start no existe.")
    headers, data = by_cid[start] if start else parts[0]
    root = _parse(bytes(decoded(headers, data)), content_type(headers.get("content-type", ""))[1].get("charset"))
    return Envelope(root, _resolve(root, by_cid, used={id(data)}))


def _parse(data: bytes, charset: str | None) -> etree._Element:
    """The hardened parser (no DTD, entities or network; bounded depth, count, sizes) or a fault."""
    try:
        return parse_untrusted(data, ENVELOPE_LIMITS, encoding=charset)
    except UntrustedXmlError as error:
        raise _bad(f"XML no admitido en el mensaje SOAP: {str(error)[:200]}") from None


def _resolve(root: etree._Element, by_cid: dict, used: set[int]) -> dict[bytes, bytes | memoryview]:
    placeholders = {}
    for include in list(root.iter(XOP_INCLUDE)):
        href = include.get("href", "")
        if not href.startswith("cid:"):
            raise _bad(f"Referencia xop:Include no válida: «{href[:80]}».")
        part = by_cid.get(unquote(href[4:]))  # RFC 2392: a cid URL is the URL-encoded Content-ID
        if part is None:
            raise _bad(f"La referencia {href[:80]} no corresponde a ninguna parte del mensaje.")
        if id(part[1]) in used:  # the root itself, or a part already used: no amplification
            raise _bad(f"La parte {href[:80]} se referencia más de una vez o es la parte raíz.")
        used.add(id(part[1]))
        parent = include.getparent()
        parent.remove(include)
        if len(parent) or (parent.text or "").strip():
            raise _bad(f"El elemento {etree.QName(parent).localname} mezcla xop:Include con otro contenido.")
        placeholder = os.urandom(15)
        placeholders[placeholder] = decoded(*part)
        parent.text = binascii.b2a_base64(placeholder, newline=False)
    return placeholders


def to_mtom(envelope: bytes, fields: tuple[str, ...] = ("comprobanteRegistro",)) -> tuple[str, list[bytes]] | None:
    """The envelope as MTOM (content type, body chunks), each non-empty field moved to its own part.

    None when no such field has content: the plain envelope is then the answer.
    """
    root = etree.fromstring(envelope, etree.XMLParser(huge_tree=True, resolve_entities=False))
    attachments = []
    for element in root.iter(*fields):
        if (element.text or "").strip():
            cid = new_cid()
            attachments.append((cid, binascii.a2b_base64(element.text)))
            element.text = None
            etree.SubElement(element, XOP_INCLUDE, href=f"cid:{cid}", nsmap={"xop": XOP_NS})
    if not attachments:
        return None
    return package(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), attachments)


def new_cid() -> str:
    """A fresh Content-ID for an answer's part."""
    return f"{uuid.uuid4().hex}@ventanilla"


def include(cid: str) -> str:
    """The xop:Include element standing for part cid, as lxml writes it in an answer."""
    return f'<xop:Include xmlns:xop="{XOP_NS}" href="cid:{cid}"/>'


def package(root: bytes, attachments: list[tuple[str, bytes]]) -> tuple[str, list[bytes]]:
    """(content type, body chunks) of an MTOM answer: the root envelope, then each (cid, content) part."""
    boundary, root_cid = f"uuid:{uuid.uuid4()}", f"root.{uuid.uuid4().hex}@ventanilla"
    chunks = [_part_head("", boundary, 'application/xop+xml; charset=UTF-8; type="text/xml"', root_cid), root]
    for cid, data in attachments:
        chunks += [_part_head("\r\n", boundary, "application/octet-stream", cid), data]
    chunks.append(f"\r\n--{boundary}--\r\n".encode("ascii"))
    media = (f'multipart/related; type="application/xop+xml"; boundary="{boundary}"; '
             f'start="<{root_cid}>"; start-info="text/xml"')
    return media, chunks


def _part_head(lead: str, boundary: str, media: str, cid: str) -> bytes:
    return (f"{lead}--{boundary}\r\nContent-Type: {media}\r\nContent-Transfer-Encoding: binary\r\n"
            f"Content-ID: <{cid}>\r\n\r\n").encode("ascii")

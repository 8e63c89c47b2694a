"""The one fault path's end: any refusal as a SOAP 1.1 fault in PeFAC form (manual, Anexo I), with HTTP 500."""
from __future__ import annotations

import html
import re

from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey, Side

from soap_edge.soap.contract import TNS, ServicioError
from soap_edge.soap.mtom import SOAP_ENV

CONTENT_TYPE = "text/xml; charset=utf-8"
STATUS = "500 Internal Server Error"  # every fault, whoever is to blame (WS-I Basic Profile R1126)
Response = tuple[str, list[tuple[str, str]], list[bytes]]  # WSGI status, headers, body chunks
_LXML_PREFIX = re.compile(r"^.*?:(?:ERROR|WARNING|FATAL):[A-Z_]+:[A-Z0-9_]+: ")
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Text that XML can carry: characters XML 1.0 forbids (NUL, controls, lone surrogates) become U+FFFD."""
    return NOT_XML.sub("\ufffd", text)


def xml_compatible(text: str) -> bool:
    """Whether lxml would take text as an element's content (no character XML 1.0 forbids)."""
    return NOT_XML.search(text) is None


def domain_error(fault: BaseException) -> DomainError:
    """The catalogue error behind anything the edge raised or spyne reported (anything unknown: registro)."""
    if isinstance(fault, ServicioError):
        return fault.error
    if isinstance(fault, DomainError):
        return fault
    code = str(getattr(fault, "faultcode", "Server"))
    if code.startswith("Client"):
        text = getattr(fault, "faultstring", "")  # spyne's schema errors: ASCII bytes, char refs
        text = html.unescape(text.decode("ascii", "replace") if isinstance(text, bytes) else str(text))
        text = _LXML_PREFIX.sub("", text.strip())
        return DomainError(ErrorKey.XML, f"Mensaje SOAP no válido: {text}" if text else None)
    return DomainError(ErrorKey.REGISTRO)


def envelope(error: DomainError, request_id: str) -> etree._Element:
    """The Envelope of the fault for error, the request id written in its message."""
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    fault = etree.SubElement(etree.SubElement(root, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault")
    side = "Client" if error.key.side is Side.CLIENT else "Server"
    etree.SubElement(fault, "faultcode").text = f"soap:{side}"
    etree.SubElement(fault, "faultstring").text = xml_safe(error.detail)
    detail = etree.SubElement(fault, "detail")
    servicio = etree.SubElement(detail, f"{{{TNS}}}ServicioError", nsmap={"ns2": TNS})
    etree.SubElement(servicio, "mensajesError").text = error.key.value
    etree.SubElement(servicio, "message").text = xml_safe(f"{error.detail} (petición {request_id})")
    return root


def fault_bytes(error: DomainError, request_id: str) -> bytes:
    """The fault as a serialized SOAP message."""
    return etree.tostring(envelope(error, request_id), xml_declaration=True, encoding="UTF-8")


def response(error: DomainError, request_id: str) -> Response:
    """The fault answering a refused request, always with HTTP 500.

    SOAP 1.1 over HTTP answers every fault with 500 (WS-I Basic Profile R1126); JAX-WS clients (Metro, CXF)
    discard a fault that comes with any other status, and their users never see the ServicioError.
    """
    payload = fault_bytes(error, request_id)
    return STATUS, [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(payload)))], [payload]


def http_response(error: DomainError, request_id: str) -> bytes:
    """A whole HTTP/1.1 answer carrying the fault, closing the connection (for refusals before any WSGI call)."""
    status, headers, (payload,) = response(error, request_id)
    head = "".join(f"{name}: {value}\r\n" for name, value in [("Connection", "close"), *headers,
                                                                  ("X-Request-ID", request_id)])
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode("ascii") + payload

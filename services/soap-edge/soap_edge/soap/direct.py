"""The direct path: fixed-shape requests read from the parsed envelope and answered without spyne's objects.

A request takes it only when its Body is exactly what the schema allows and the clients send (no header
entries, no attributes, ids of 1 to 18 digits, binaries as MTOM parts or strict base64, and nothing else);
anything else goes to spyne, which validates and refuses it as before, so a refusal is the same fault with the
same message on either path. The operations, the request's facts and the fault path are the same ones spyne's
path uses (`SoapApp.answer`).
"""
from __future__ import annotations

import binascii
import re
from typing import Callable

from lxml import etree

from ventanilla.adapters.submission_stream import Attachment, Content

from soap_edge.facts import RequestFacts, Transfer
from soap_edge.soap import answers, faults, mtom
from soap_edge.soap.contract import TNS
from soap_edge.soap.operations import Operations

SOAP_HEADER = f"{{{mtom.SOAP_ENV}}}Header"
_ID = re.compile(r"[0-9]{1,18}")  # always an xs:long
_BLANK = " \t\r\n"


def _blank(value: str | None) -> bool:
    return value is None or not value.strip(_BLANK)


def _operation(root: etree._Element, tag: str) -> etree._Element | None:
    """The Body's one element, if it is tag and nothing else (header entries, more elements, attributes) is there."""
    header, body = mtom.child(root, SOAP_HEADER), mtom.child(root, mtom.SOAP_BODY)
    if (header is not None and len(header)) or body is None or len(body) != 1:
        return None
    operation = body[0]
    return None if operation.tag != tag or operation.attrib or not _blank(operation.text) else operation


def _ids(operation: etree._Element, name: str) -> list[int] | None:
    """The operation's parameters when every one is a plain <name>digits</name>; None for anything else."""
    ids = []
    for child in operation:
        if child.tag != name or child.attrib or len(child) or not _blank(child.tail):
            return None
        if child.text is None or not _ID.fullmatch(child.text):
            return None
        ids.append(int(child.text))
    return ids


Read = Callable[[etree._Element, mtom.Envelope], object]
Answer = Callable[[Operations, RequestFacts, object, list | None], str]  # parts: None, or an MTOM answer's parts


def _id(operation: etree._Element, _: mtom.Envelope) -> int | None:
    ids = _ids(operation, "idFactura")
    return ids[0] if ids is not None and len(ids) == 1 else None


def _plain(element: etree._Element, tag: str) -> bool:
    """Whether element is <tag> with no attributes and only blanks after it."""
    return element.tag == tag and not element.attrib and _blank(element.tail)


def _binary(element: etree._Element, tag: str, envelope: mtom.Envelope) -> Content | None:
    """A plain, non-empty base64Binary <tag>: its MTOM part, or its strict base64 (canonical last quantum) decoded."""
    text = element.text
    if not _plain(element, tag) or len(element) or not text or not _LAST_QUANTUM.fullmatch(text[-4:]):
        return None
    try:
        return envelope.binary(binascii.a2b_base64(text, strict_mode=True))
    except binascii.Error:
        return None


# XSD's base64Binary ends in a quantum whose unused bits are zero: ...[AQgw]== or ...[AEIMQUYcgkosw048]=
_LAST_QUANTUM = re.compile(r"[A-Za-z0-9+/]{4}|[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=")


def _anexo(element: etree._Element, envelope: mtom.Envelope) -> Attachment | None:
    """A plain <anexos><nombre>text</nombre><contenido>binary</contenido></anexos>, as the registry hears it."""
    if not _plain(element, "anexos") or len(element) != 2 or not _blank(element.text):
        return None
    nombre, contenido = element
    if not _plain(nombre, "nombre") or len(nombre):
        return None
    content = _binary(contenido, "contenido", envelope)
    return None if content is None else Attachment(nombre.text or "", content)


def _submission(operation: etree._Element, envelope: mtom.Envelope) -> tuple[Content, list[Attachment]] | None:
    """enviarFactura's Facturae and attachments when the request is plain (one facturae, then its anexos)."""
    if not len(operation):
        return None
    facturae = _binary(operation[0], "facturae", envelope)
    attachments = [_anexo(element, envelope) for element in operation[1:]]
    return None if facturae is None or any(a is None for a in attachments) else (facturae, attachments)


# operation -> (its parameters from the operation element, None if not plain; its answer's content)
DIRECT: dict[str, tuple[Read, Answer]] = {
    "version": (lambda op, _: () if len(op) == 0 else None,
                lambda ops, facts, _, parts: f"<return>{ops.version()}</return>"),
    "consultarEstadoFactura": (_id, lambda ops, facts, i, parts: answers.estado(ops.state(facts, i))),
    "consultarEstadoMotivoFactura": (_id, lambda ops, facts, i, parts: answers.respuesta_estado(ops.state(facts, i))),
    "consultarGrupoEstadosFactura": (lambda op, _: _ids(op, "facturaId") or None,
                                     lambda ops, facts, ids, parts: answers.grupo(ids, ops.states(facts, ids))),
    "consultarFactura": (_id, lambda ops, facts, i, parts: answers.factura(ops.invoice(facts, i), "return", parts)),
    "enviarFactura": (_submission,
                      lambda ops, facts, s, parts: answers.factura(ops.submit(facts, *s), "return", parts)),
}


class Direct:
    """Answers the operations of DIRECT whose request has the plain shape; None for every other request."""

    def __init__(self, operations: Operations):
        self._operations = operations

    def answer(self, facts: RequestFacts, envelope: mtom.Envelope) -> faults.Response | None:
        """The answer (MTOM for an MTOM request whose answer carries the receipt), or None: spyne's to give."""
        name = facts.operation or ""
        read, answer = DIRECT.get(name, (None, None))
        operation = _operation(envelope.root, f"{{{TNS}}}{name}") if read is not None else None
        params = read(operation, envelope) if operation is not None else None
        if params is None:
            return None
        parts = [] if facts.transfer is Transfer.MTOM else None
        payload = answers.envelope(name, answer(self._operations, facts, params, parts))
        if not parts:
            return _xml(payload)
        media, chunks = mtom.package(payload, parts)
        return "200 OK", [("Content-Type", media), ("Content-Length", str(sum(map(len, chunks))))], chunks


def _xml(payload: bytes) -> faults.Response:
    return "200 OK", [("Content-Type", faults.CONTENT_TYPE), ("Content-Length", str(len(payload)))], [payload]

"""spyne's Soap11 over the envelope the front parsed: MTOM parts without base64, unqualified result elements."""
from __future__ import annotations

import binascii

from lxml import etree
from spyne.model.complex import ComplexModelBase
from spyne.protocol.soap import Soap11

from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.facts import RequestFacts
from soap_edge.soap.contract import ServicioError
from soap_edge.soap.mtom import SOAP_BODY, SOAP_ENVELOPE, Envelope

REQUEST = "soap_edge.soap.request"  # the one environ key: (facts, envelope) from SoapApp.answer to spyne's context


def request_of(ctx) -> tuple[RequestFacts, Envelope]:
    """The facts and the parsed envelope of the request spyne is handling."""
    return ctx.transport.req_env[REQUEST]


def _refuse(detail: str) -> ServicioError:
    return ServicioError(DomainError(ErrorKey.XML, detail))


def _with_parts(value, envelope: Envelope):
    """value with every ByteArray (a 1-tuple of bytes) that is a part placeholder replaced by that part."""
    if isinstance(value, ComplexModelBase):
        for name in type(value).get_flat_type_info(type(value)):
            setattr(value, name, _with_parts(getattr(value, name, None), envelope))
        return value
    if isinstance(value, list):
        return [_with_parts(item, envelope) for item in value]
    if isinstance(value, tuple) and len(value) == 1 and isinstance(value[0], bytes):
        return (envelope.binary(value[0]),)
    return value


class EdgeSoap11(Soap11):
    """Takes the envelope the front parsed (plain or MTOM, once, huge_tree) instead of reading the body itself."""

    def create_in_document(self, ctx, charset=None):
        ctx.in_document = (request_of(ctx)[1].root, None)

    def deserialize(self, ctx, message):
        """spyne's objects, each MTOM part placeholder replaced by the part itself (no base64 round trip)."""
        super().deserialize(ctx, message)
        envelope = request_of(ctx)[1]
        if envelope.parts and ctx.in_object is not None:
            _with_parts(ctx.in_object, envelope)

    def decompose_incoming_envelope(self, ctx, message=Soap11.REQUEST):
        root = ctx.in_document[0]
        body = root.find(SOAP_BODY) if root.tag == SOAP_ENVELOPE else None
        if body is None or len(body) == 0:
            raise _refuse("El mensaje no es un Envelope SOAP 1.1 con una operación en su Body.")
        if body[0].tag not in self.app.interface.service_method_map:
            raise _refuse(f"Operación desconocida: {etree.QName(body[0]).localname}.")
        super().decompose_incoming_envelope(ctx, message)

    def byte_array_from_bytes(self, cls, value, suggested_encoding=None):
        """base64 text to bytes in one C call (spyne 2.14 joins a str character by character)."""
        try:
            return (binascii.a2b_base64(value or b""),)
        except (binascii.Error, ValueError):
            raise _refuse(f"Contenido base64 no válido en {cls.get_type_name()}.") from None

    def serialize(self, ctx, message):
        super().serialize(ctx, message)
        for element in ctx.out_body_doc[0].iterdescendants():
            if isinstance(element.tag, str):  # children unqualified, as in the reference XSD
                element.tag = etree.QName(element).localname
        etree.cleanup_namespaces(ctx.out_document)

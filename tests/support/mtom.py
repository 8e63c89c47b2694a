"""Requests as JAX-WS sends them with MTOM on: zeep only sends inline base64, so move its binaries to parts."""
from __future__ import annotations

import base64

import zeep
from lxml import etree

XOP_INCLUDE = "{http://www.w3.org/2004/08/xop/include}Include"
BINARY_FIELDS = ("facturae", "contenido")


def as_mtom(message: bytes, fields: tuple[str, ...] = BINARY_FIELDS) -> tuple[str, bytes]:
    """(Content-Type, body): message as multipart/related, each binary field moved to an xop:Include part."""
    root, parts, boundary = etree.fromstring(message), [], "MIMEBoundary_zeep"
    for element in list(root.iter(*fields)):
        cid = f"part{len(parts)}@zeep.example"
        parts.append((cid, base64.b64decode(element.text or "")))
        element.text = None
        etree.SubElement(element, XOP_INCLUDE, href=f"cid:{cid}")
    body = (f'--{boundary}\r\nContent-Type: application/xop+xml; charset=utf-8; type="text/xml"\r\n'
            f"Content-ID: <root@zeep.example>\r\n\r\n").encode() + etree.tostring(root, xml_declaration=True,
                                                                                    encoding="utf-8")
    for cid, data in parts:
        body += (f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n"
                 f"Content-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n").encode() + data
    body += f"\r\n--{boundary}--\r\n".encode()
    content_type = (f'multipart/related; type="application/xop+xml"; boundary="{boundary}"; '
                    f'start="<root@zeep.example>"; start-info="text/xml"')
    return content_type, body


class MtomTransport(zeep.Transport):
    """zeep's HTTP transport, sending requests as MTOM when asked; keeps each reply's headers."""

    def __init__(self, mtom: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.mtom, self.reply_headers = mtom, []

    def post(self, address, message, headers):
        if self.mtom:
            message = message if isinstance(message, bytes) else message.encode()
            headers = dict(headers)
            headers["Content-Type"], message = as_mtom(message)
        response = super().post(address, message, headers)
        self.reply_headers.append(response.headers)
        return response

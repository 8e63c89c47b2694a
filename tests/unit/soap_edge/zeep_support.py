"""zeep against the edge without a network: a WSGI transport, optionally sending requests as MTOM."""
from __future__ import annotations

import base64

import requests
import zeep
from lxml import etree
from requests.structures import CaseInsensitiveDict

from .fakes import Client

XOP_INCLUDE = "{http://www.w3.org/2004/08/xop/include}Include"
BINARY_FIELDS = ("facturae", "contenido")


def as_mtom(message: bytes) -> tuple[str, bytes]:
    """zeep sends base64 inline only: move its binary fields to parts, as JAX-WS with MTOM does."""
    root, parts, boundary = etree.fromstring(message), [], "MIMEBoundary_zeep"
    for element in list(root.iter(*BINARY_FIELDS)):
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


class WsgiTransport(zeep.Transport):
    """Sends zeep's HTTP requests to a WSGI app in-process."""

    def __init__(self, app, mtom: bool = False):
        super().__init__()
        self.client, self.mtom, self.replies = Client(app), mtom, []

    def _response(self, reply) -> requests.Response:
        self.replies.append(reply)
        response = requests.Response()
        response.status_code, response._content = reply.code, reply.body
        response.headers, response.encoding = CaseInsensitiveDict(reply.headers), "utf-8"
        return response

    def post(self, address, message, headers):
        message = message if isinstance(message, bytes) else message.encode()
        content_type, body = as_mtom(message) if self.mtom else (headers["Content-Type"], message)
        return self._response(self.client.post(body, content_type))

    def load(self, url):
        if url.startswith("http"):
            return self.client.request("GET", query="wsdl").body
        return super().load(url)

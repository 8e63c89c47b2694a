"""Raw SOAP 1.1 / MTOM requests for end-to-end tests, built by hand as a JAX-WS client sends them."""
from __future__ import annotations

import base64
import email.parser
import email.policy
import uuid
from urllib.parse import urlsplit

import requests
from lxml import etree

NS = "http://v2.ws.efactura.ceh.gobiernodecanarias.org/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
XOP = "http://www.w3.org/2004/08/xop/include"
_TLS: dict[str, tuple] = {}  # origin -> (client cert, CA bundle), set by the e2e stack fixture


def envelope(operation: str, body: str) -> bytes:
    """A SOAP envelope around one operation element with unqualified children."""
    return (f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{SOAP}"><S:Body>'
            f'<ns2:{operation} xmlns:ns2="{NS}">{body}</ns2:{operation}></S:Body></S:Envelope>').encode()


def enviar_inline(facturae: bytes, attachments: list[tuple[str, bytes]] = ()) -> tuple[str, bytes]:
    """enviarFactura with the Facturae (and any attachments) as inline base64."""
    body = f"<facturae>{base64.b64encode(facturae).decode()}</facturae>"
    for name, content in attachments:
        body += f"<anexos><nombre>{name}</nombre><contenido>{base64.b64encode(content).decode()}</contenido></anexos>"
    return "text/xml; charset=utf-8", envelope("enviarFactura", body)


def enviar_mtom(facturae: bytes, attachments: list[tuple[str, bytes]] = ()) -> tuple[str, bytes]:
    """enviarFactura as multipart/related with xop:Include parts, as JAX-WS sends it."""
    parts = [("facturae@ventanilla.test", facturae)]
    inner = f'<facturae><xop:Include xmlns:xop="{XOP}" href="cid:facturae@ventanilla.test"/></facturae>'
    for index, (name, content) in enumerate(attachments):
        parts.append((f"anexo{index}@ventanilla.test", content))
        inner += (f'<anexos><nombre>{name}</nombre><contenido><xop:Include xmlns:xop="{XOP}" '
                  f'href="cid:anexo{index}@ventanilla.test"/></contenido></anexos>')
    return mtom(envelope("enviarFactura", inner), parts)


def mtom(root: bytes, parts: list[tuple[str, bytes]] = ()) -> tuple[str, bytes]:
    """(Content-Type, body): a SOAP envelope and binary parts (by Content-ID) as one MTOM message.

    With no parts this is what a JAX-WS client with MTOM enabled sends for a call without binaries.
    """
    boundary = f"uuid:{uuid.uuid4()}"
    body = (f"--{boundary}\r\nContent-Id: <root@ventanilla.test>\r\n"
            f'Content-Type: application/xop+xml;charset=utf-8;type="text/xml"\r\n'
            f"Content-Transfer-Encoding: binary\r\n\r\n").encode() + root
    for cid, content in parts:
        body += (f"\r\n--{boundary}\r\nContent-Id: <{cid}>\r\n"
                 f"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n").encode()
        body += content
    body += f"\r\n--{boundary}--\r\n".encode()
    content_type = (f'multipart/related;start="<root@ventanilla.test>";type="application/xop+xml";'
                    f'boundary="{boundary}";start-info="text/xml"')
    return content_type, body


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def use_client_certificate(url: str, cert: tuple[str, str] | None, ca: str | None) -> None:
    """Make post() to url's origin present cert (certificate, key) and trust ca; None forgets it."""
    if cert is None:
        _TLS.pop(_origin(url), None)
    else:
        _TLS[_origin(url)] = (cert, ca)


def post(url: str, content_type: str, body: bytes, cert: tuple[str, str] | None = None,
         request_id: str | None = None) -> requests.Response:
    """POST a SOAP request with an empty SOAPAction, as the WSDL declares, over TLS with a client certificate.

    The certificate is cert, else the one configured for the URL's origin (the stack's integrator).
    """
    default, ca = _TLS.get(_origin(url), (None, None))
    headers = {"Content-Type": content_type, "SOAPAction": '""'} | ({"X-Request-ID": request_id} if request_id else {})
    return requests.post(url, data=body, headers=headers, timeout=60,
                         cert=cert or default, verify=ca if ca else True)


def parse(response: requests.Response) -> tuple[etree._Element, dict[str, bytes]]:
    """The SOAP Body of a response and its MIME parts by Content-ID (empty for a plain response)."""
    content_type = response.headers["Content-Type"]
    if not content_type.startswith("multipart/"):
        return etree.fromstring(response.content).find(f"{{{SOAP}}}Body"), {}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + response.content)
    parts = list(message.iter_parts())
    root = etree.fromstring(parts[0].get_payload(decode=True))
    attachments = {p["Content-ID"].strip("<>"): p.get_payload(decode=True) for p in parts[1:]}
    return root.find(f"{{{SOAP}}}Body"), attachments


def binary(element: etree._Element, attachments: dict[str, bytes]) -> bytes:
    """The bytes of a base64Binary element, inline or through xop:Include."""
    include = element.find(f"{{{XOP}}}Include")
    if include is None:
        return base64.b64decode(element.text or "")
    from urllib.parse import unquote
    return attachments[unquote(include.get("href")[4:])]

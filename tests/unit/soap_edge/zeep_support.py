"""zeep against the edge without a network: a WSGI transport, optionally sending requests as MTOM."""
from __future__ import annotations

import requests
import zeep
from requests.structures import CaseInsensitiveDict

from tests.support.mtom import as_mtom

from .fakes import Client


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

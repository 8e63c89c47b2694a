"""The edge's WSGI front: routes, request ids, body limits, MTOM answers, access log."""
from __future__ import annotations

import json
import logging
import time
from contextlib import nullcontext

from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge import body, faults, mtom, receipts
from soap_edge.admission import Busy, LargeBodies
from soap_edge.keys import BODY, CALLER, FAULT_KEY, OPERATION, REQUEST_ID
from soap_edge.requestid import request_id

log = logging.getLogger("soap_edge.access")

Response = tuple[str, list[tuple[str, str]], list[bytes]]


def fault(environ, error: DomainError) -> Response:
    """A SOAP fault response for this request (its key noted for the access log), always with HTTP 500.

    SOAP 1.1 over HTTP answers every fault with 500 (WS-I Basic Profile R1126); JAX-WS clients (Metro, CXF)
    discard a fault that comes with any other status, and their users never see the ServicioError.
    """
    environ[FAULT_KEY] = error.key.value
    payload = faults.fault_bytes(error, environ[REQUEST_ID])
    return faults.STATUS, [("Content-Type", faults.CONTENT_TYPE), ("Content-Length", str(len(payload)))], [payload]


class Front:
    """Everything HTTP around spyne: never answers without a SOAP fault or a proper document."""

    def __init__(self, soap, ready, soap_path: str, max_body_bytes: int, receipt_lookup=None,
                 large_bodies: LargeBodies | None = None):
        self._large_bodies = large_bodies
        self._soap = soap
        self._receipt_lookup = receipt_lookup
        self._ready = ready
        self._soap_path = soap_path.rstrip("/")
        self._max_body_bytes = max_body_bytes

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        rid = environ[REQUEST_ID] = request_id(environ)
        try:
            status, headers, chunks = self._route(environ)
        except Exception:
            log.exception("unhandled error", extra={"request_id": rid})
            status, headers, chunks = fault(environ, DomainError(ErrorKey.REGISTRO))
        start_response(status, headers + [("X-Request-ID", rid)])
        _access_log(environ, status, chunks, started)
        return chunks

    def _route(self, environ) -> Response:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/readyz" and method in ("GET", "HEAD"):
            return self._readyz()
        if path.startswith(receipts.PREFIX):
            return receipts.receipt_response(path, method, self._receipt_lookup)
        if path.rstrip("/") != self._soap_path:
            return fault(environ, DomainError(ErrorKey.XML, f"No hay ningún servicio en {path[:80]}."))
        if method == "GET" and environ.get("QUERY_STRING", "").lower() in ("wsdl", "wsdl="):
            return self._call_soap(environ)
        if method != "POST":
            error = DomainError(ErrorKey.XML, "Use POST para las operaciones SOAP o GET ?wsdl para el WSDL.")
            return fault(environ, error)
        refusal = body.content_type_error(environ.get("CONTENT_TYPE", ""))
        if refusal is not None:
            return fault(environ, refusal)
        try:
            with self._large_bodies.admit(environ) if self._large_bodies else nullcontext():
                return self._post(environ)
        except Busy as error:
            return fault(environ, error)

    def _post(self, environ) -> Response:
        try:
            environ[BODY] = body.read_body(environ, self._max_body_bytes)
        except DomainError as error:  # too large, a bad Content-Length, a broken chunked body
            return fault(environ, error)
        status, headers, chunks = self._call_soap(environ)
        if status.startswith("200") and mtom.is_mtom(environ.get("CONTENT_TYPE", "")):
            rewritten = mtom.to_mtom(b"".join(chunks))
            if rewritten is not None:
                media, chunks = rewritten
                headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
                headers += [("Content-Type", media), ("Content-Length", str(sum(map(len, chunks))))]
        return status, headers, chunks

    def _call_soap(self, environ) -> Response:
        answer = {}
        chunks = self._soap(environ, lambda status, headers, *_: answer.update(status=status, headers=headers))
        chunks = [c if isinstance(c, bytes) else c.encode() for c in chunks]
        return answer["status"], list(answer["headers"]), chunks

    def _readyz(self) -> Response:
        backends = self._ready()
        ok = all(backends.values())
        payload = json.dumps({"ready": ok, "backends": backends}).encode()
        status = "200 OK" if ok else "503 Service Unavailable"
        return status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))], [payload]


def _access_log(environ, status: str, chunks: list[bytes], started: float) -> None:
    level = logging.DEBUG if environ.get("PATH_INFO") == "/readyz" else logging.INFO
    log.log(level, "request", extra={
        "request_id": environ[REQUEST_ID],
        "method": environ.get("REQUEST_METHOD"),
        "path": environ.get("PATH_INFO"),
        "operation": environ.get(OPERATION),
        "caller": environ.get(CALLER),
        "status": int(status[:3]),
        "fault_key": environ.get(FAULT_KEY),
        "mtom": mtom.is_mtom(environ.get("CONTENT_TYPE", "")),
        "bytes_in": len(environ.get(BODY, b"")),
        "bytes_out": sum(map(len, chunks)),
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    })

"""The edge's WSGI front: routes, the request's facts, body limits, the one fault path, the access log."""
from __future__ import annotations

import json
import logging
import time
from contextlib import nullcontext
from dataclasses import replace

from opentelemetry import trace

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.logs import pseudonym
from ventanilla.memo import Memo
from ventanilla.observability import requestid

from soap_edge.backends.clients import Backends
from soap_edge.facts import RequestFacts, Transfer
from soap_edge.http import body, receipts
from soap_edge.http.body import LargeBodies
from soap_edge.http.metering import Metering
from soap_edge.identity.access import Access, OpenAccess
from soap_edge.identity.caller import Caller, identify
from soap_edge.identity.proxy import Network
from soap_edge.soap import faults, mtom
from soap_edge.soap.app import SoapApp
from soap_edge.soap.service import ANONYMOUS

log = logging.getLogger("soap_edge.access")
REQUEST_ID_ATTRIBUTE = "ventanilla.request_id"
# What a client certificate says is read once per worker and kept a while (a few KiB each; callers are few)
CERTIFICATES_REMEMBERED, CERTIFICATE_MEMO_S = 1024, 600.0


def arrived(environ) -> RequestFacts:
    """The facts a request has on arrival: its id (the client's X-Request-ID when sane), method and path."""
    rid = requestid.accepted(environ.get("HTTP_X_REQUEST_ID", "")) or requestid.new()
    return RequestFacts(rid, environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))


class Front:
    """Everything HTTP around the SOAP layer: never answers without a SOAP fault or a proper document."""

    def __init__(self, soap: SoapApp, backends: Backends, soap_path: str, max_body_bytes: int,
                 large_bodies: LargeBodies | None = None, trusted_proxies: tuple[Network, ...] = (),
                 access: Access | None = None, metering: Metering | None = None, certificates: Memo | None = None):
        self._soap, self._backends = soap, backends
        self._metering = metering
        self._soap_path = soap_path.rstrip("/")
        self._max_body_bytes = max_body_bytes
        self._large_bodies = large_bodies
        self._trusted_proxies = trusted_proxies
        self._access = access or OpenAccess()
        self._certificates = Memo(CERTIFICATES_REMEMBERED, CERTIFICATE_MEMO_S) if certificates is None else certificates

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        facts = arrived(environ)
        trace.get_current_span().set_attribute(REQUEST_ID_ATTRIBUTE, facts.request_id)  # find a trace by request id
        if self._metering is not None:
            self._metering.started()
        with requestid.bound(facts.request_id):  # gRPC metadata, Kafka headers and every log line carry it on
            facts, (status, headers, chunks), refusal = self._answer(environ, facts)
            start_response(status, headers + [("X-Request-ID", facts.request_id)])
            bytes_out = _access_log(facts, status, refusal, chunks, started)
        if self._metering is not None:
            self._metering.answered(facts, refusal, bytes_out, time.perf_counter() - started)
        return chunks

    def _answer(self, environ, facts: RequestFacts) -> tuple[RequestFacts, faults.Response, DomainError | None]:
        """The answer and the facts learnt on the way; any refusal, or crash, answered by its fault (HTTP 500)."""
        learnt: dict = {}
        try:
            if facts.method != "POST" or facts.path.rstrip("/") != self._soap_path:
                return facts, self._other(environ, facts), None
            content_type = environ.get("CONTENT_TYPE", "")
            learnt["transfer"] = Transfer.MTOM if mtom.is_mtom(content_type) else Transfer.INLINE
            body.check_content_type(content_type)
            mtom_body = learnt["transfer"] is Transfer.MTOM
            with self._large_bodies.admit(environ, mtom_body) if self._large_bodies else nullcontext():
                data = body.read_body(environ, self._max_body_bytes)
                learnt["body_bytes"] = len(data)
                envelope = mtom.parse_envelope(content_type, data)
                learnt["operation"] = envelope.operation
                learnt["caller"] = self._caller(environ, facts, envelope)
                facts = replace(facts, **learnt)  # once: what a refusal on the way had learnt is added below
                return facts, self._soap.answer(environ, facts, envelope), None
        except DomainError as error:
            refusal = error
        except Exception:
            log.exception("unhandled error", extra={"request_id": facts.request_id})
            refusal = DomainError(ErrorKey.REGISTRO)
        facts = replace(facts, **learnt) if learnt else facts
        return facts, faults.response(refusal, facts.request_id), refusal

    def _caller(self, environ, facts: RequestFacts, envelope: mtom.Envelope):
        """Who calls, for an operation that needs to know (resolved once per request)."""
        if envelope.operation is None or envelope.operation in ANONYMOUS:
            return None
        return identify(environ, self._trusted_proxies, facts.request_id, self._certificates)

    def _other(self, environ, facts: RequestFacts) -> faults.Response:
        """Readiness, receipts and the WSDL; a refusal for anything else."""
        path, method = facts.path, facts.method
        if path == "/readyz" and method in ("GET", "HEAD"):
            return self._readyz()
        if path.startswith(receipts.PREFIX):
            return receipts.receipt_response(path, method, self._backends.registry.receipt)
        if path.rstrip("/") != self._soap_path:
            raise DomainError(ErrorKey.XML, f"No hay ningún servicio en {path[:80]}.")
        if method == "GET" and environ.get("QUERY_STRING", "").lower() in ("wsdl", "wsdl="):
            return self._soap.wsdl(environ)
        raise DomainError(ErrorKey.XML, "Use POST para las operaciones SOAP o GET ?wsdl para el WSDL.")

    def _readyz(self) -> faults.Response:
        """Ready when every backend is, and (registered mode) the integrators directory has caught up."""
        backends = self._backends.ready()
        access = {"mode": self._access.mode, "ready": self._access.ready()}
        ok = all(backends.values()) and access["ready"]
        payload = json.dumps({"ready": ok, "backends": backends, "access": access}).encode()
        status = "200 OK" if ok else "503 Service Unavailable"
        return status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))], [payload]


def _caller_ref(caller) -> str | None:
    """Who called, for the access log: the NIF's pseudonym and where it came from (no NIF in logs)."""
    if not isinstance(caller, Caller):
        return None
    return f"{pseudonym(caller.nif)} ({caller.via.value}:{caller.attribute})"


def _access_log(facts: RequestFacts, status: str, refusal: DomainError | None, chunks: list[bytes],
                started: float) -> int:
    """Log the request; the size of its answer's body."""
    bytes_out = sum(map(len, chunks))
    level = logging.DEBUG if facts.path == "/readyz" else logging.INFO
    if not log.isEnabledFor(level):  # nothing built for a line nobody keeps (readiness probes, at INFO)
        return bytes_out
    log.log(level, "request", extra={
        "request_id": facts.request_id,
        "method": facts.method,
        "path": facts.path,
        "operation": facts.operation,
        "caller": _caller_ref(facts.caller),
        "status": int(status[:3]),
        "fault_key": refusal.key.value if refusal is not None else None,
        "mtom": facts.transfer is Transfer.MTOM,
        "bytes_in": facts.body_bytes,
        "bytes_out": bytes_out,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    })
    return bytes_out

"""TLS for the HTTPS doors (edge, portal): a TLS 1.2+ server context asking for client certificates, read deadlines, the peer."""
from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class TlsFiles:
    """The edge's server certificate and key, and the CA bundle that client certificates must chain to."""

    certificate: Path
    key: Path
    client_ca_bundle: Path
    client_crls: Path | None = None  # PEM CRLs of every CA in the bundle: revoked client certificates refused


@dataclass(frozen=True)
class ArrivalDeadlines:
    """How long one request may take to arrive, and how long any single socket operation may wait."""

    handshake_s: float = 10.0
    request_s: float = 60.0
    io_s: float = 30.0


class DeadlineSocket(ssl.SSLSocket):
    """An SSLSocket whose reads share one deadline per request: trickling clients are cut off.

    At the edge the handshake and the request head happen without blocking in the worker's event loop
    (`soap_edge.http.worker`), which notes when the head began (start_request). In a plain gthread worker (the
    portal) a thread does the handshake, within handshake_s. gunicorn then puts the socket in blocking
    mode for the thread that serves the request: the rest of the request must arrive before request_s has
    passed since the head began (or since that moment). Writes only get the per-operation timeout.
    """

    deadlines = ArrivalDeadlines()
    _read_deadline: float | None = None
    _request_started: float | None = None

    def do_handshake(self, *args, **kwargs):
        if self.gettimeout() == 0.0:  # non-blocking: an event loop drives it and keeps its deadline
            return super().do_handshake(*args, **kwargs)
        super().settimeout(self.deadlines.handshake_s)
        try:
            return super().do_handshake(*args, **kwargs)
        finally:
            super().settimeout(self.deadlines.io_s)

    def start_request(self, at: float) -> None:
        """The request began at this time.monotonic(): its read deadline counts from then."""
        self._request_started = at

    def setblocking(self, flag: bool) -> None:
        if flag:
            started, self._request_started = self._request_started or time.monotonic(), None
            self._read_deadline = started + self.deadlines.request_s
            super().settimeout(self.deadlines.io_s)
        else:
            super().setblocking(False)

    def _before_read(self) -> None:
        if self._sslobj is None or self.gettimeout() == 0.0:  # non-blocking, or gunicorn's closing drain
            return
        if self._read_deadline is None:
            self._read_deadline = time.monotonic() + self.deadlines.request_s
        left = self._read_deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("request read deadline passed")
        super().settimeout(min(left, self.deadlines.io_s))

    def recv(self, *args, **kwargs):
        self._before_read()
        return super().recv(*args, **kwargs)

    def recv_into(self, *args, **kwargs):
        self._before_read()
        return super().recv_into(*args, **kwargs)

    def sendall(self, *args, **kwargs):
        if self.gettimeout() != 0.0:
            super().settimeout(self.deadlines.io_s)
        return super().sendall(*args, **kwargs)


def server_context(files: TlsFiles, deadlines: ArrivalDeadlines = ArrivalDeadlines(), client_required: bool = True) -> ssl.SSLContext:
    """TLS 1.2 or later, the server chain loaded, client certificates verified against the bundle.

    client_required=False lets a client without a certificate in (the portal's other login methods);
    a certificate that is sent is still verified, and refused when it does not chain or is revoked.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(files.certificate), str(files.key))
    context.load_verify_locations(cafile=str(files.client_ca_bundle))
    if files.client_crls is not None:
        context.load_verify_locations(cafile=str(files.client_crls))
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    context.verify_mode = ssl.CERT_REQUIRED if client_required else ssl.CERT_OPTIONAL
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION | ssl.OP_CIPHER_SERVER_PREFERENCE
    context.sslsocket_class = type("DeadlineSocketWithLimits", (DeadlineSocket,), {"deadlines": deadlines})
    return context


def peer_certificate(environ: Mapping) -> bytes | None:
    """The DER of the client certificate verified in this request's TLS handshake (gunicorn), else None."""
    getpeercert = getattr(environ.get("gunicorn.socket"), "getpeercert", None)  # ssl.SSLSocket only
    if getpeercert is None:
        return None
    try:
        return getpeercert(binary_form=True) or None
    except (ValueError, OSError):
        return None

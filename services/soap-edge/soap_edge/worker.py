"""gunicorn's gthread worker, with TLS handshakes and request heads read in its event loop, not in threads.

gthread hands every accepted connection to a thread, which then waits for the handshake and the head:
twenty idle TCP connections held most of a worker's threads for their 10 s deadline. Here a connection
reaches a thread only once its whole head is buffered; until then it costs a socket and a few bytes.
"""
from __future__ import annotations

import logging
import ssl
import time
from functools import partial

from gunicorn import http, sock, util
from gunicorn.http.errors import ParseException
from gunicorn.workers.gthread import ThreadWorker

from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge import faults
from soap_edge.arrival import Arrival, Step
from soap_edge.requestid import request_id
from soap_edge.tls import Deadlines

SWEEP_S = 0.25
log = logging.getLogger("soap_edge.tls")
access = logging.getLogger("soap_edge.access")


class EdgeWorker(ThreadWorker):
    """A ThreadWorker whose threads only ever see connections with a complete request head."""

    deadlines = Deadlines()  # server.py sets the configured ones on a subclass

    def init_process(self):
        self._tls = sock.ssl_context(self.cfg) if self.cfg.is_ssl else None
        self._arrivals: dict[Arrival, object] = {}  # arrival -> its connection
        self._next_sweep = 0.0
        self._heads_read: set = set()  # connections whose whole head is buffered: the next enqueue_req is real
        super().init_process()

    def enqueue_req(self, conn):
        """Every way into the thread pool (accept, keep-alive, pipelined bytes) waits for a whole head first."""
        if conn in self._heads_read:
            self._heads_read.discard(conn)
            super().enqueue_req(conn)
            return
        fresh = conn.parser is None
        try:
            arrival = Arrival(conn.sock, self._tls if fresh else None, self.deadlines.handshake_s,
                              self.deadlines.request_s, b"" if fresh else conn.parser.unreader.take_buffered())
        except OSError:
            self._drop(conn)
            return
        conn.sock = arrival.sock
        self._arrivals[arrival] = conn
        self._advance(arrival)

    def _advance(self, arrival: Arrival, fileobj=None) -> None:
        """Called at once, then by the poller (fileobj given) whenever the socket is ready again."""
        step = arrival.advance()
        if step in (Step.READ, Step.WRITE):
            callback = partial(self._advance, arrival)
            if fileobj is None:
                self.poller.register(arrival.sock, step.value, callback)
            else:
                self.poller.modify(arrival.sock, step.value, callback)
            return
        if fileobj is not None:
            self.poller.unregister(arrival.sock)
        conn = self._arrivals.pop(arrival)
        if step is Step.CLOSED:
            if arrival.refusal is not None:
                log.info("TLS handshake refused", extra={"remote_addr": _address(conn.client),
                                                         "reason": arrival.refusal.reason or str(arrival.refusal)})
            self._drop(conn)
            return
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(arrival.head))
        start_request = getattr(conn.sock, "start_request", None)
        if start_request is not None:
            start_request(arrival.head_started)  # the request deadline counts from the head's first wait
        conn.initialized = conn.data_ready = True  # gthread: no handshake, no waiting for data in the thread
        self._heads_read.add(conn)
        self.enqueue_req(conn)

    def murder_pending(self):
        """Close arrivals past their stage's deadline (all of them once the worker stops), then gthread's own.

        Called after every wake-up of the loop: the arrivals are looked over at most every SWEEP_S.
        """
        super().murder_pending()
        now = time.monotonic()
        if self.alive and now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_S
        for arrival in [a for a in self._arrivals if a.deadline <= now or not self.alive]:
            self._unregister(arrival.sock)
            self._drop(self._arrivals.pop(arrival))

    def handle_error(self, req, client, addr, exc):
        """gunicorn's own refusals (a malformed head, a broken chunked body) as PeFAC faults with HTTP 500."""
        rid = request_id({})
        if isinstance(exc, (ParseException, ssl.SSLError)):
            self.log.warning("Invalid request from ip=%s: %s", _address(addr), exc)
            error = DomainError(ErrorKey.XML, f"Petición HTTP no válida ({type(exc).__name__}: {str(exc)[:200]}).")
        else:
            self.log.exception("Error handling request")
            error = DomainError(ErrorKey.REGISTRO)
        log_access(rid, _address(addr), error)
        try:
            util.write_nonblock(client, faults.http_response(error, rid))
        except Exception:  # noqa: BLE001 - the peer may be gone; nothing more to tell it
            self.log.debug("Failed to send error message.")

    def _unregister(self, fileobj) -> None:
        try:
            self.poller.unregister(fileobj)
        except (KeyError, ValueError, OSError):
            pass

    def _drop(self, conn) -> None:
        self.nr_conns -= 1
        conn.close()


def _address(client) -> str:
    return client[0] if isinstance(client, tuple) and client else str(client)


def log_access(rid: str, remote: str, error: DomainError) -> None:
    """The access log line of a request refused before it reached the application."""
    access.info("request", extra={"request_id": rid, "remote_addr": remote, "status": 500,
                                  "fault_key": error.key.value})

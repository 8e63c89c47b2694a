"""gunicorn's gthread worker, with TLS handshakes and request heads read without holding a thread.

gthread hands every accepted connection to a thread, which then waits for the handshake and the head:
twenty idle TCP connections held most of a worker's threads for their 10 s deadline. Here a new
connection's handshake and head are read by the worker's event loop; a kept-alive connection that turns
readable gets a thread's first look without blocking (a head usually arrives whole) and goes back to the
loop when its head is not whole. A thread only ever serves a connection with a whole head.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial

from gunicorn import http, sock
from gunicorn.workers.gthread import ThreadWorker

from ventanilla.tls import ArrivalDeadlines

from soap_edge.http import refusals
from soap_edge.http.arrival import Arrival, Step

SWEEP_S = 0.25
log = logging.getLogger("soap_edge.tls")


@dataclass(frozen=True)
class _NotWhole:
    """A thread's first look found no whole head: the loop waits for the rest."""

    arrival: Arrival
    step: Step


class EdgeWorker(ThreadWorker):
    """A ThreadWorker whose threads only ever serve connections with a complete request head."""

    deadlines = ArrivalDeadlines()  # server.py sets the configured ones on a subclass

    def init_process(self):
        self._tls = sock.ssl_context(self.cfg) if self.cfg.is_ssl else None
        self._arrivals: dict[Arrival, object] = {}  # arrivals the poller watches -> their connections
        self._next_sweep = 0.0
        super().init_process()

    def enqueue_req(self, conn):
        """Every way into the thread pool (accept, keep-alive, pipelined bytes) goes through a whole head."""
        deadlines = self.deadlines
        if conn.parser is not None:  # kept alive: a thread looks first
            arrival = Arrival(conn.sock, None, deadlines.handshake_s, deadlines.request_s,
                              conn.parser.unreader.take_buffered())
            future = self.tpool.submit(self._first_look, conn, arrival)
            future.add_done_callback(lambda done: self.method_queue.defer(self.finish_request, conn, done))
            return
        try:
            arrival = Arrival(conn.sock, self._tls, deadlines.handshake_s, deadlines.request_s)
        except OSError:
            self._drop(conn)
            return
        conn.sock = arrival.sock
        self._advance(conn, arrival)

    def _first_look(self, conn, arrival: Arrival):
        """In a thread: serve the request if its head is whole, else hand the connection back to the loop."""
        step = arrival.advance()
        if step is Step.HEAD:
            self._hand_over(conn, arrival)
            return self.handle(conn)
        return False if step is Step.CLOSED else _NotWhole(arrival, step)

    def finish_request(self, conn, fs):
        if not fs.cancelled() and fs.exception() is None and isinstance(fs.result(), _NotWhole):
            self._settle(conn, fs.result().arrival, fs.result().step, watched=False)
            return
        super().finish_request(conn, fs)

    def _advance(self, conn, arrival: Arrival, fileobj=None) -> None:
        """Called at once, then by the poller (fileobj given) whenever the socket is ready again."""
        self._settle(conn, arrival, arrival.advance(), watched=fileobj is not None)

    def _settle(self, conn, arrival: Arrival, step: Step, watched: bool) -> None:
        """Wait in the poller for what the arrival needs, or close it, or give it to a thread."""
        if step in (Step.READ, Step.WRITE):
            callback = partial(self._advance, conn, arrival)
            (self.poller.modify if watched else self.poller.register)(arrival.sock, step.value, callback)
            self._arrivals[arrival] = conn
            return
        if watched:
            self.poller.unregister(arrival.sock)
            del self._arrivals[arrival]
        if step is Step.CLOSED:
            if arrival.refusal is not None:
                log.info("TLS handshake refused", extra={"remote_addr": refusals.address(conn.client),
                                                         "reason": arrival.refusal.reason or str(arrival.refusal)})
            self._drop(conn)
            return
        self._hand_over(conn, arrival)
        super().enqueue_req(conn)

    def _hand_over(self, conn, arrival: Arrival) -> None:
        """Give the connection its head back in its parser; its request deadline counts from the head's start."""
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(arrival.head))
        start_request = getattr(conn.sock, "start_request", None)
        if start_request is not None:
            start_request(arrival.head_started)
        conn.initialized = conn.data_ready = True  # gthread: no handshake, no waiting for data in the thread

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
            self.poller.unregister(arrival.sock)
            self._drop(self._arrivals.pop(arrival))

    def handle_error(self, req, client, addr, exc):
        """gunicorn's own refusals (a malformed head, a broken chunked body) as PeFAC faults with HTTP 500."""
        refusals.refuse(self.log, client, addr, exc)

    def _drop(self, conn) -> None:
        self.nr_conns -= 1
        conn.close()

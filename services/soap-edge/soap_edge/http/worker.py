"""gunicorn's gthread worker, with TLS handshakes and request heads read without holding a thread.

gthread hands every accepted connection to a thread, which then waits for the handshake and the head:
twenty idle TCP connections held most of a worker's threads for their 10 s deadline. Here a new
connection's handshake and head are read by the worker's event loop; a kept-alive connection that turns
readable gets a thread's first look without blocking (a head usually arrives whole) and goes back to the
loop when its head is not whole. A thread only ever serves a connection with a whole head.

A connection kept alive after its answer waits in the worker's IdleConnections, armed there by the thread that
answered it: the event loop is not woken after each answer (gthread re-registers every kept-alive connection in
its selector from the loop, and unregisters it again when it turns readable).
"""
from __future__ import annotations

import logging
import selectors
import time
from dataclasses import dataclass
from functools import partial

from gunicorn import http, sock
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, ThreadWorker

from ventanilla.tls import ArrivalDeadlines

from soap_edge.http import refusals
from soap_edge.http.arrival import Arrival, Step
from soap_edge.http.idle import IdleConnections

SWEEP_S = 0.25
HEARTBEAT_S = 1.0  # the arbiter kills a worker silent for its timeout (30 s or more: server.py)
log = logging.getLogger("soap_edge.tls")
_WAITING = object()  # a thread's result: the connection was kept alive and waits in the idle set


@dataclass(frozen=True)
class _NotWhole:
    """A thread's first look found no whole head: the loop waits for the rest."""

    arrival: Arrival
    step: Step


class EdgeWorker(ThreadWorker):
    """A ThreadWorker whose threads only ever serve connections with a complete request head."""

    deadlines = ArrivalDeadlines()  # server.py sets the configured ones on a subclass
    _next_heartbeat = 0.0

    def init_process(self):
        self._tls = sock.ssl_context(self.cfg) if self.cfg.is_ssl else None
        self._arrivals: dict[Arrival, object] = {}  # arrivals the poller watches -> their connections
        self._next_sweep = 0.0
        self._idle = IdleConnections()
        super().init_process()

    def run(self):
        self.poller.register(self._idle, selectors.EVENT_READ, self._idle_readable)
        try:
            super().run()
        finally:
            self._idle.close()

    def notify(self):
        """The heartbeat the arbiter watches (a utime on the worker's file), at most every HEARTBEAT_S: gthread's loop
        beats on every wake-up, i.e. about once per request under load."""
        now = time.monotonic()
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_S
            super().notify()

    def enqueue_req(self, conn):
        """Every way into the thread pool (accept, keep-alive, pipelined bytes) goes through a whole head."""
        deadlines = self.deadlines
        if conn.parser is not None:  # kept alive: a thread looks first
            arrival = Arrival(conn.sock, None, deadlines.handshake_s, deadlines.request_s,
                              conn.parser.unreader.take_buffered())
            self._submit(self._first_look, conn, arrival)
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
            return self._serve(conn)
        return False if step is Step.CLOSED else _NotWhole(arrival, step)

    def _serve(self, conn):
        """In a thread: serve a connection with a whole head; if it is kept alive, it waits in the idle set."""
        keep = self.handle(conn)
        return _WAITING if keep is True and self._keep_waiting(conn) else keep

    def _submit(self, serve, conn, *args) -> None:
        """Serve in a thread; the loop hears of the connection again only if it did not go back to the idle set."""
        future = self.tpool.submit(serve, conn, *args)
        future.add_done_callback(partial(self._served, conn))

    def _served(self, conn, done) -> None:
        if done.cancelled() or done.exception() is not None or done.result() is not _WAITING:
            self.method_queue.defer(self.finish_request, conn, done)

    def finish_request(self, conn, fs):
        result = None if fs.cancelled() or fs.exception() is not None else fs.result()
        if isinstance(result, _NotWhole):
            self._settle(conn, result.arrival, result.step, watched=False)
            return
        if result is True:
            try:
                if self._keep_waiting(conn):
                    return
            except OSError:
                self._drop(conn)
                return
        super().finish_request(conn, fs)  # bytes already read ahead, gthread's deferral, or a close

    def _keep_waiting(self, conn) -> bool:
        """From any thread: a kept-alive connection with nothing read ahead waits for its next request (its deadline:
        the keep-alive timeout, at most STOP_KEEPALIVE_LINGER once the worker stops). False: bytes were read ahead."""
        if conn.parser.unreader.buf.getvalue():
            return False
        conn.sock.setblocking(False)
        conn.set_timeout()
        self.keepalived_conns.append(conn)
        if not self.alive:  # after the append: a stop that began earlier capped it, or this caps it
            conn.timeout = min(conn.timeout, time.monotonic() + STOP_KEEPALIVE_LINGER)
        try:
            self._idle.wait(conn)
        except (OSError, ValueError):
            try:
                self.keepalived_conns.remove(conn)
            except ValueError:  # a stop's forced sweep took and closed it meanwhile: nothing left to hand back
                return True
            raise
        return True

    def _idle_readable(self, _fileobj) -> None:
        """A kept-alive connection turned readable: a thread takes a first look at it."""
        for conn in self._idle.ready():
            self.keepalived_conns.remove(conn)
            self.enqueue_req(conn)

    def murder_keepalived(self, force=False):
        """Close the kept-alive connections past their deadline (all of them when forced)."""
        now = time.monotonic()
        while self.keepalived_conns and (force or self.keepalived_conns[0].timeout <= now):
            conn = self.keepalived_conns.popleft()
            self._idle.forget(conn)
            self._drop(conn)

    def _cap_keepalive(self, deadline):
        for conn in list(self.keepalived_conns):  # a copy: threads append to it
            conn.timeout = min(conn.timeout, deadline)

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
        self._submit(self._serve, conn)

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

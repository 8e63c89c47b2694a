"""A stop's forced sweep that closes a kept-alive connection while its thread is arming it: counted and closed once."""
from __future__ import annotations

import collections
import os
import socket

from gunicorn import http
from gunicorn.config import Config
from gunicorn.workers.gthread import TConn

from soap_edge.http.idle import IdleConnections
from soap_edge.http.worker import EdgeWorker


class SweptWhileArming(IdleConnections):
    """The loop's forced sweep runs between the thread's append and its arming (the interleaving under test)."""

    def __init__(self, worker: EdgeWorker):
        super().__init__()
        self.worker = worker

    def wait(self, conn) -> None:
        self.worker.murder_keepalived(force=True)
        super().wait(conn)


def test_a_connection_swept_while_its_thread_arms_it_is_dropped_once_and_not_handed_back():
    cfg = Config()
    worker = EdgeWorker(0, os.getppid(), [], None, 30, cfg, None)
    ours, theirs = socket.socketpair()
    try:
        conn = TConn(cfg, ours, ("127.0.0.1", 1), ("127.0.0.1", 2))
        conn.parser = http.get_parser(cfg, ours, conn.client)
        worker.alive, worker.nr_conns = False, 1
        worker.keepalived_conns = collections.deque()
        worker._idle = SweptWhileArming(worker)

        assert worker._keep_waiting(conn) is True  # the loop already has it: the thread hands nothing back
        assert worker.nr_conns == 0 and not worker.keepalived_conns and ours.fileno() == -1
    finally:
        theirs.close()
        worker._idle.close()
        worker.tmp.close()

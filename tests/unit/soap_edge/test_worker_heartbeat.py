"""The edge worker's heartbeat to gunicorn's arbiter: on the first wake-up, then at most every HEARTBEAT_S."""
from __future__ import annotations

import os
import time

from gunicorn.config import Config

from soap_edge.http.worker import HEARTBEAT_S, EdgeWorker


def test_the_heartbeat_is_written_at_most_every_heartbeat_period():
    worker = EdgeWorker(0, os.getppid(), [], None, 30, Config(), None)  # its heartbeat file is a real temp file
    try:
        os.utime(worker.tmp.fileno(), (0, 0))
        worker.notify()
        first = worker.tmp.last_update()
        for _ in range(100):  # the loop's wake-ups under load
            worker.notify()
        assert first != 0 and worker.tmp.last_update() == first
        time.sleep(HEARTBEAT_S + 0.05)
        worker.notify()
        assert worker.tmp.last_update() > first
    finally:
        worker.tmp.close()

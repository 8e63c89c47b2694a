"""Open connections per edge worker, in memory the workers share: a worker stops accepting while it holds more than
the least-loaded one, so kept-alive connections split evenly across the workers (as Envoy's exact_balance).

The workers share one listening socket and each takes whatever its own loop gets to first: wrk's 8 connections, all
opened at once, split 8/0 to 2/6 (docs/benchmarks.md, "Kept-alive connections split evenly across the edge's
workers"). The table is made in the arbiter before the fork; a worker takes a seat once it can accept and leaves it
when it stops. A worker that stops accepting wakes the least-loaded one (through that seat's pipe), which may have
stopped on counts that are stale now.
"""
from __future__ import annotations

import multiprocessing
import os
from multiprocessing.sharedctypes import RawArray
from typing import Iterable


def may_accept(mine: int, others: Iterable[int]) -> bool:
    """A worker accepts while it holds no more open connections than every other seated worker."""
    return all(mine <= other for other in others)


class AcceptBalance:
    """`seats` slots of (worker pid, open connections) and a wake-up pipe each, made before the workers fork."""

    def __init__(self, seats: int):
        self._pids = RawArray("q", seats)  # 0: a free seat
        self._counts = RawArray("q", seats)
        self._lock = multiprocessing.Lock()
        self._pipes = [os.pipe() for _ in range(seats)]
        for read, write in self._pipes:
            os.set_blocking(read, False)
            os.set_blocking(write, False)

    def take_seat(self, pid: int) -> "Seat | None":
        """A free seat (or one whose worker is gone) for this worker; None when all are held (it then accepts freely)."""
        with self._lock:
            for seat, holder in enumerate(self._pids):
                if holder == 0 or not _alive(holder):
                    self._pids[seat], self._counts[seat] = pid, 0
                    return Seat(self, seat, pid)
        return None


class Seat:
    """One worker's place in the table: it writes its open connections and asks whether it may accept."""

    def __init__(self, table: AcceptBalance, seat: int, pid: int):
        self._table, self._seat, self._pid = table, seat, pid
        self.wake_fd = table._pipes[seat][0]

    def hold(self, connections: int) -> None:
        """This worker's open connections now (arriving, in a thread, or kept alive)."""
        if self._table._pids[self._seat] == self._pid:
            self._table._counts[self._seat] = connections

    def may_accept(self) -> bool:
        """Whether this worker holds no more than every other seated worker (a seat whose worker is gone is freed)."""
        table, mine = self._table, self._table._counts[self._seat]
        while True:
            others = [(table._counts[s], s) for s, pid in enumerate(table._pids) if pid and s != self._seat]
            if may_accept(mine, (count for count, _ in others)):
                return True
            _, least = min(others)
            holder = table._pids[least]
            if _alive(holder):
                return False
            with table._lock:
                if table._pids[least] == holder:
                    table._pids[least] = 0

    def wake_least_loaded(self) -> None:
        """Wake the worker holding the fewest connections: it looks again whether it may accept."""
        table = self._table
        others = [(table._counts[s], s) for s, pid in enumerate(table._pids) if pid and s != self._seat]
        if others:
            try:
                os.write(table._pipes[min(others)[1]][1], b"\0")
            except BlockingIOError:  # the pipe is full of wake-ups not read yet: that worker wakes anyway
                pass

    def drain(self) -> None:
        """Read this seat's wake-ups (the worker's loop then looks again)."""
        try:
            while os.read(self.wake_fd, 4096):
                pass
        except BlockingIOError:
            pass

    def leave(self) -> None:
        """Free the seat: this worker no longer accepts, the others no longer wait for it."""
        table = self._table
        with table._lock:
            if table._pids[self._seat] == self._pid:
                table._pids[self._seat] = 0
        self.drain()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

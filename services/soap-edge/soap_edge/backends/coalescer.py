"""Request coalescing, a group commit for reads: one call in flight per kind of query; what arrives meanwhile goes
together in the next call.

After LevelDB's writer queue (`DBImpl::Write`: the writer at the front builds a group of the queued writes, does
them, marks them done and wakes the next front): a query with no call in flight is sent at once by its own thread
(no timer: a lone query never waits); while one is, arriving queries queue; when it returns, its thread answers its
members and wakes the oldest queued query, which sends everything queued by then (at most `max_items`) in one call
under the earliest member's deadline. A queued query whose deadline passes leaves the queue with `expired()`.

With `linger_s`, after PostgreSQL's `commit_delay`/`commit_siblings` (a group commit waits only when other work is
active): a leader waits, at most linger_s, until as many queries are queued as it expects: the members of the last
call (a closed-loop caller asks again once answered) plus, when it was itself queued, those queued with it. A lone
caller's last call carried one query, so it never waits. A wait in vain (callers that do not ask again at once: an
open loop) makes the next 1, 3, 7, … 63 calls go without waiting, until a wait is met again.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Callable, Sequence

MAX_SKIPS = 63  # calls sent without waiting after waits in vain in a row: 1, 3, 7, ... at most this
GRACE_S = 1.0  # how long past its deadline a member whose call is in flight still waits for that call's answer


class Member:
    """One query in a batch: its item, its deadline (monotonic seconds) and, once answered, its outcome."""

    __slots__ = ("item", "deadline", "context", "outcome", "done", "lead", "sent", "expected", "_wake")

    def __init__(self, item: Any, deadline: float, context: Any = None):
        self.item, self.deadline, self.context = item, deadline, context
        self.outcome: Any = None
        self.done = self.lead = self.sent = False
        self.expected = 1  # as a leader: how many queries its call may wait for (counted when it became leader)
        self._wake: Any = None  # a held lock, released to wake the member's thread (only a queued member has one)

    def _queued(self) -> None:
        self._wake = threading.Lock()
        self._wake.acquire()

    def _woken(self) -> None:
        if self._wake is not None:
            self._wake.release()

    def _answered(self, outcome: Any) -> None:
        self.outcome, self.done = outcome, True
        self._woken()

    def result(self):
        """The member's answer; its error raised."""
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


# (the batch, its timeout: the earliest member's deadline) -> one outcome per member, in order (an exception: its error)
Send = Callable[[Sequence[Member], float], Sequence[Any]]


class Coalescer:
    """Sends each batch with `send`; `expired()` is the error of a member whose deadline passed before it was sent,
    `observed(n)` sees each batch's size."""

    def __init__(self, send: Send, expired: Callable[[], BaseException], max_items: int = 64,
                 observed: Callable[[int], None] | None = None, clock: Callable[[], float] = time.monotonic,
                 linger_s: float = 0.0):
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self._send, self._expired, self._max_items = send, expired, max_items
        self._observed, self._clock = observed, clock
        self._lock = threading.Lock()
        self._busy = False
        self._queue: deque[Member] = deque()
        self._linger_s, self._last = linger_s, 1  # the last call's queries
        self._lingering: Member | None = None  # a leader waiting for `_expected` queries
        self._expected = 0
        self._in_vain, self._skip = 0, 0  # waits in vain in a row; calls still to go without waiting

    def ask(self, item: Any, timeout_s: float, context: Any = None):
        """item's answer, sent alone at once when nothing is in flight, else with the queries queued meanwhile."""
        member = Member(item, self._clock() + timeout_s, context)
        lingering = None
        with self._lock:
            if self._busy:
                member._queued()
                self._queue.append(member)
                if self._lingering is not None and 1 + len(self._queue) >= self._expected:
                    lingering, self._lingering = self._lingering, None
            else:
                self._busy = member.lead = True
                member.expected = self._last
        if lingering is not None:
            lingering._woken()
        if not member.lead:
            self._wait(member)
        if member.lead:
            self._lead(member)
        return member.result()

    def queued(self) -> int:
        """How many queries wait for the call in flight to return."""
        with self._lock:
            return len(self._queue)

    def idle(self) -> bool:
        """Whether no call is in flight."""
        with self._lock:
            return not self._busy

    def _wait(self, member: Member) -> None:
        """Until the member is answered or is the next to send; out of the queue with expired() at its deadline."""
        if member._wake.acquire(timeout=max(member.deadline - self._clock(), 0.0)):
            return
        with self._lock:
            if member.done or member.lead:
                return
            if not member.sent:
                self._queue.remove(member)
                member.outcome, member.done = self._expired(), True
                return
        if not member._wake.acquire(timeout=GRACE_S):  # in flight: its call's deadline is at most its own
            member.outcome, member.done = self._expired(), True

    def _lead(self, leader: Member) -> None:
        """Send the leader's batch, answer its members, then hand the queue to its oldest member (or go idle)."""
        if self._linger_s > 0:
            self._linger(leader)
        batch = self._batch(leader)
        try:
            if batch:
                self._answer(batch)
        finally:
            with self._lock:
                self._last = max(len(batch), 1)
                if self._queue:
                    following = self._queue.popleft()
                    # the queued ones and, once answered, this call's members (a closed-loop caller asks again)
                    following.lead, following.expected = True, self._last + 1 + len(self._queue)
                    wake = following._wake  # this lock, not one the new leader may hold by then to linger on
                else:
                    wake, self._busy = None, False
            if wake is not None:
                wake.release()

    def _linger(self, leader: Member) -> None:
        """Wait (at most linger_s, and half the leader's time left) until the queries it expects are queued."""
        with self._lock:
            expected = min(self._max_items, leader.expected)
            if 1 + len(self._queue) >= expected:
                return
            if self._skip:
                self._skip -= 1
                return
            leader._queued()  # a fresh lock: a leader woken from the queue may yet see its old one released
            self._lingering, self._expected = leader, expected
        met = leader._wake.acquire(timeout=max(min(self._linger_s, (leader.deadline - self._clock()) / 2), 0.0))
        with self._lock:
            if self._lingering is leader:
                self._lingering = None
            self._in_vain = 0 if met else min(self._in_vain + 1, MAX_SKIPS.bit_length())
            self._skip = (1 << self._in_vain) - 1

    def _batch(self, leader: Member) -> list[Member]:
        """The leader and the oldest queued members, at most max_items; the expired ones answered expired()."""
        now = self._clock()
        with self._lock:
            taken = [leader]
            while self._queue and len(taken) < self._max_items:
                taken.append(self._queue.popleft())
            for member in taken:
                member.sent = True
        batch = []
        for member in taken:
            if member.deadline > now:
                batch.append(member)
            elif member is leader:
                member.outcome = self._expired()
            else:
                member._answered(self._expired())
        return batch

    def _answer(self, batch: list[Member]) -> None:
        if self._observed is not None:
            self._observed(len(batch))
        try:
            outcomes = list(self._send(batch, min(m.deadline for m in batch) - self._clock()))
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} answers to a batch of {len(batch)}")
        except Exception as error:  # noqa: BLE001 - every member gets the failure of its call
            outcomes = [error] * len(batch)
        for member, outcome in zip(batch, outcomes):
            if member.lead:
                member.outcome, member.done = outcome, True
            else:
                member._answered(outcome)

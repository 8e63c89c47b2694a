"""The coalescer: a lone query goes at once; queries arriving while a call is in flight share the next one."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from soap_edge.backends.coalescer import Coalescer, Member

WAIT_S = 10.0  # how long a test waits for a condition on a loaded machine


class Expired(Exception):
    """A member's deadline passed before it was sent."""


class Backend:
    """Answers each batch with its items doubled; a call held at `gate` stays in flight until released."""

    def __init__(self, fail: Exception | None = None):
        self.calls: list[tuple[list, float, str]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail = fail
        self.started = threading.Semaphore(0)

    def send(self, batch, timeout_s):
        self.calls.append(([m.item for m in batch], timeout_s, threading.current_thread().name))
        self.started.release()
        assert self.gate.wait(WAIT_S)
        if self.fail is not None:
            raise self.fail
        return [m.item * 2 for m in batch]


def _until(condition) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.001)


def _held(backend: Backend, coalescer: Coalescer, pool: ThreadPoolExecutor, timeout_s: float = 30.0):
    """A first query in flight, held by the backend; its future."""
    backend.gate.clear()
    first = pool.submit(coalescer.ask, 1, timeout_s)
    assert backend.started.acquire(timeout=WAIT_S)
    return first


@pytest.fixture
def pool():
    with ThreadPoolExecutor(max_workers=80) as executor:
        yield executor


def test_a_lone_query_is_sent_at_once_by_its_own_thread():
    backend = Backend()
    sizes = []
    coalescer = Coalescer(backend.send, Expired, observed=sizes.append)
    started = time.monotonic()
    assert coalescer.ask(21, 5.0) == 42
    assert time.monotonic() - started < 1.0  # no timer
    [(items, timeout_s, thread)] = backend.calls
    assert items == [21] and 4.0 < timeout_s <= 5.0 and thread == threading.current_thread().name
    assert sizes == [1] and coalescer.idle()


def test_queries_arriving_during_a_call_share_the_next_one(pool):
    backend = Backend()
    sizes = []
    coalescer = Coalescer(backend.send, Expired, observed=sizes.append)
    first = _held(backend, coalescer, pool)
    waiting = [pool.submit(coalescer.ask, n, 30.0) for n in range(2, 12)]
    _until(lambda: coalescer.queued() == 10)
    backend.gate.set()
    assert first.result(WAIT_S) == 2
    assert sorted(f.result(WAIT_S) for f in waiting) == [2 * n for n in range(2, 12)]
    assert [sorted(items) for items, _, _ in backend.calls] == [[1], list(range(2, 12))]
    assert sizes == [1, 10] and coalescer.idle() and coalescer.queued() == 0


def test_each_member_gets_its_own_answer(pool):
    backend = Backend()
    coalescer = Coalescer(backend.send, Expired)
    first = _held(backend, coalescer, pool)
    futures = {n: pool.submit(coalescer.ask, n, 30.0) for n in range(100, 140)}
    _until(lambda: coalescer.queued() == 40)
    backend.gate.set()
    assert first.result(WAIT_S) == 2
    assert all(f.result(WAIT_S) == 2 * n for n, f in futures.items())


def test_a_call_carries_at_most_max_items_and_the_rest_follow(pool):
    backend = Backend()
    coalescer = Coalescer(backend.send, Expired, max_items=3)
    first = _held(backend, coalescer, pool)
    waiting = [pool.submit(coalescer.ask, n, 30.0) for n in range(2, 9)]
    _until(lambda: coalescer.queued() == 7)
    backend.gate.set()
    assert [f.result(WAIT_S) for f in [first, *waiting]] == [2 * n for n in range(1, 9)]
    assert [len(items) for items, _, _ in backend.calls] == [1, 3, 3, 1]
    assert sorted(n for items, _, _ in backend.calls for n in items) == list(range(1, 9))  # each sent once


def test_a_batch_runs_under_its_earliest_members_deadline(pool):
    backend = Backend()
    coalescer = Coalescer(backend.send, Expired)
    first = _held(backend, coalescer, pool)
    late = pool.submit(coalescer.ask, 2, 30.0)
    _until(lambda: coalescer.queued() == 1)
    early = pool.submit(coalescer.ask, 3, 8.0)
    _until(lambda: coalescer.queued() == 2)
    backend.gate.set()
    assert (first.result(WAIT_S), late.result(WAIT_S), early.result(WAIT_S)) == (2, 4, 6)
    (_, second_timeout, _) = backend.calls[1]
    assert 0 < second_timeout <= 8.0


def test_a_queued_query_past_its_deadline_leaves_the_queue_with_its_error(pool):
    backend = Backend()
    coalescer = Coalescer(backend.send, Expired)
    first = _held(backend, coalescer, pool)
    hurried = pool.submit(coalescer.ask, 2, 0.05)
    with pytest.raises(Expired):
        hurried.result(WAIT_S)  # while the call it waited for is still in flight
    assert coalescer.queued() == 0 and not first.done()
    patient = pool.submit(coalescer.ask, 3, 30.0)
    _until(lambda: coalescer.queued() == 1)
    backend.gate.set()
    assert (first.result(WAIT_S), patient.result(WAIT_S)) == (2, 6)
    assert [items for items, _, _ in backend.calls] == [[1], [3]]  # the expired one was never sent
    _until(coalescer.idle)


def test_a_failed_call_is_every_members_failure_and_the_next_call_goes_out(pool):
    refused = ConnectionError("status unreachable")
    backend = Backend(fail=refused)
    coalescer = Coalescer(backend.send, Expired)
    first = _held(backend, coalescer, pool)
    waiting = [pool.submit(coalescer.ask, n, 30.0) for n in range(2, 6)]
    _until(lambda: coalescer.queued() == 4)
    backend.gate.set()
    for future in [first, *waiting]:
        assert future.exception(WAIT_S) is refused
    backend.fail = None
    assert coalescer.ask(7, 5.0) == 14 and coalescer.idle()


def test_an_answer_of_the_wrong_length_fails_every_member(pool):
    coalescer = Coalescer(lambda batch, timeout_s: [], Expired)
    with pytest.raises(RuntimeError):
        coalescer.ask(1, 5.0)
    assert coalescer.idle()


@pytest.mark.parametrize("linger_s", [0.0, 0.002])
def test_no_thread_is_left_waiting_under_many_concurrent_queries(pool, linger_s):
    backend = Backend()
    sizes = []
    coalescer = Coalescer(backend.send, Expired, max_items=8, observed=sizes.append, linger_s=linger_s)
    futures = [pool.submit(coalescer.ask, n, 30.0) for n in range(2000)]
    assert [f.result(WAIT_S) for f in futures] == [2 * n for n in range(2000)]
    assert sum(sizes) == 2000 and max(sizes) <= 8
    assert coalescer.idle() and coalescer.queued() == 0


def _burst(backend: Backend, coalescer: Coalescer, pool: ThreadPoolExecutor, size: int) -> None:
    """A call carrying `size` queries (one held in flight, size queued behind it, then the held one answered; with a
    linger the queued leader waits for the held one's caller to ask again: it does, with item 100)."""
    first = _held(backend, coalescer, pool)
    queued = [pool.submit(coalescer.ask, n, 30.0) for n in range(2, size + 1)]
    _until(lambda: coalescer.queued() == size - 1)
    backend.gate.set()
    assert first.result(WAIT_S) == 2
    _until(lambda: coalescer.queued() == size - 2)  # the oldest queued query now leads
    again = coalescer.ask(100, 30.0)
    assert again == 200 and sorted(f.result(WAIT_S) for f in queued) == [2 * n for n in range(2, size + 1)]
    _until(coalescer.idle)


def test_a_lone_caller_never_lingers():
    backend = Backend()
    coalescer = Coalescer(backend.send, Expired, linger_s=3 * WAIT_S)
    started = time.monotonic()
    assert [coalescer.ask(n, 30.0) for n in range(1, 6)] == [2, 4, 6, 8, 10]
    assert time.monotonic() - started < WAIT_S  # each call carried one query: none waited for another
    assert [items for items, _, _ in backend.calls] == [[1], [2], [3], [4], [5]]


def test_a_queued_leader_waits_for_the_last_calls_members_to_ask_again(pool):
    backend = Backend()
    sizes = []
    coalescer = Coalescer(backend.send, Expired, observed=sizes.append, linger_s=3 * WAIT_S)
    _burst(backend, coalescer, pool, 4)
    # the held call carried 1; the leader of the 3 queued behind it waited for that caller's next query
    assert [items for items, _, _ in backend.calls] == [[1], [2, 3, 4, 100]] and sizes == [1, 4]


def test_after_a_burst_a_new_leader_waits_for_as_many_queries_as_the_last_call_carried(pool):
    backend = Backend()
    coalescer = Coalescer(backend.send, Expired, linger_s=3 * WAIT_S)
    _burst(backend, coalescer, pool, 3)
    assert backend.calls[-1][0] == [2, 3, 100]  # the last call carried three
    answers = [pool.submit(coalescer.ask, n, 30.0) for n in (7, 8, 9)]
    assert sorted(f.result(WAIT_S) for f in answers) == [14, 16, 18]
    assert sorted(backend.calls[-1][0]) == [7, 8, 9] and len(backend.calls) == 3  # one call for the three


def test_a_lingering_leader_sends_what_it_has_after_linger_s(pool):
    backend = Backend()
    coalescer = Coalescer(backend.send, Expired, linger_s=0.05)
    first = _held(backend, coalescer, pool)
    queued = [pool.submit(coalescer.ask, n, 30.0) for n in (2, 3)]
    _until(lambda: coalescer.queued() == 2)
    started = time.monotonic()
    backend.gate.set()
    assert first.result(WAIT_S) == 2 and sorted(f.result(WAIT_S) for f in queued) == [4, 6]
    # the leader expected three (the two queued and the answered caller's next query), none came: after 50 ms
    assert 0.05 <= time.monotonic() - started < WAIT_S
    assert [items for items, _, _ in backend.calls] == [[1], [2, 3]]


def test_a_lingering_leader_keeps_half_its_time_left(pool):
    backend = Backend()
    coalescer = Coalescer(backend.send, Expired, linger_s=3 * WAIT_S)
    _burst(backend, coalescer, pool, 3)
    # sent after ~1 s, within its deadline, not expired (1 s of slack: a loaded machine may stall the thread)
    assert coalescer.ask(7, 2.0) == 14
    [(items, timeout_s, _)] = backend.calls[-1:]
    assert items == [7] and 0.0 < timeout_s <= 1.01


def test_after_a_wait_in_vain_the_next_call_that_would_wait_goes_at_once(pool):
    backend = Backend()
    coalescer = Coalescer(backend.send, Expired, linger_s=3 * WAIT_S)
    _burst(backend, coalescer, pool, 3)
    assert coalescer.ask(7, 2.0) == 14  # expected three, none came: waited ~1 s in vain
    first = _held(backend, coalescer, pool)
    queued = [pool.submit(coalescer.ask, n, 30.0) for n in (10, 11)]
    _until(lambda: coalescer.queued() == 2)
    backend.gate.set()
    # the leader of 10 and 11 would wait for the held caller's next query (15 s, half its deadline); it goes at once
    assert first.result(WAIT_S) == 2 and sorted(f.result(WAIT_S) for f in queued) == [20, 22]
    assert backend.calls[-1][0] == [10, 11]


def test_a_leader_woken_late_from_the_queue_lingers_on_a_lock_of_its_own(pool):
    """A queued member whose wait timed out just as it was made leader: the previous leader's wake, released late,
    must neither end its linger nor leave a later arrival's wake releasing an unlocked lock."""
    backend = Backend()
    coalescer = Coalescer(backend.send, Expired, linger_s=3 * WAIT_S)
    coalescer._busy = True  # the previous leader's call has just returned
    member = Member(2, time.monotonic() + 30.0)
    member._queued()
    stale = member._wake
    member.lead, member.expected = True, 2  # made leader under the lock; the wake itself not yet released
    leading = pool.submit(coalescer._lead, member)
    _until(lambda: coalescer._lingering is member)
    stale.release()  # the previous leader's late wake
    time.sleep(0.05)
    assert not backend.calls  # still lingering for the query it expects
    second = pool.submit(coalescer.ask, 3, 30.0)
    leading.result(WAIT_S)
    assert second.result(WAIT_S) == 6 and member.outcome == 4
    assert [items for items, _, _ in backend.calls] == [[2, 3]]

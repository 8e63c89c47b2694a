"""The edge workers' balance table: who may accept, seats taken and freed, the least-loaded worker woken."""
from __future__ import annotations

import os
import select
import subprocess
import sys

import pytest

from soap_edge.http.balance import AcceptBalance, may_accept


@pytest.mark.parametrize(("mine", "others", "accepts"), [
    (0, [], True), (3, [3], True), (2, [3], True), (4, [3], False), (1, [1, 0], False), (0, [0, 0, 5], True)])
def test_a_worker_accepts_while_it_holds_no_more_than_every_other(mine, others, accepts):
    assert may_accept(mine, others) is accepts


def _gone_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_worker_holding_more_stops_until_the_other_catches_up():
    table = AcceptBalance(4)
    first, second = table.take_seat(os.getpid()), table.take_seat(os.getpid())
    first.hold(3)
    second.hold(2)
    assert not first.may_accept() and second.may_accept()
    second.hold(3)
    assert first.may_accept() and second.may_accept()


def test_a_seat_whose_worker_is_gone_is_freed_and_taken_again():
    table = AcceptBalance(2)
    live = table.take_seat(os.getpid())
    gone = table.take_seat(_gone_pid())
    live.hold(5)
    assert live.may_accept()  # the gone worker's 0 does not hold this one back
    taken = table.take_seat(os.getpid())
    assert taken is not None and taken.wake_fd == gone.wake_fd


def test_with_every_seat_held_a_worker_gets_none():
    table = AcceptBalance(1)
    assert table.take_seat(os.getpid()) is not None
    assert table.take_seat(os.getpid()) is None


def test_the_least_loaded_worker_is_woken_and_drains_its_wake_ups():
    table = AcceptBalance(3)
    seats = [table.take_seat(os.getpid()) for _ in range(3)]
    for seat, held in zip(seats, (4, 1, 2)):
        seat.hold(held)
    for _ in range(70_000):  # more than a pipe holds: the writer never blocks
        seats[0].wake_least_loaded()
    ready, _, _ = select.select([s.wake_fd for s in seats], [], [], 0)
    assert ready == [seats[1].wake_fd]
    seats[1].drain()
    assert select.select([seats[1].wake_fd], [], [], 0)[0] == []


def test_a_worker_that_left_is_not_waited_for_and_writes_no_more():
    table = AcceptBalance(2)
    staying, leaving = table.take_seat(os.getpid()), table.take_seat(os.getpid())
    staying.hold(7)
    leaving.hold(0)
    assert not staying.may_accept()
    leaving.leave()
    leaving.hold(9)
    assert staying.may_accept()
    newcomer = table.take_seat(os.getpid())
    newcomer.hold(1)
    leaving.hold(0)  # the old holder's late counts do not overwrite the newcomer's
    assert not staying.may_accept()

"""The tests' free ports: outside the kernel's ephemeral range, each handed out once, only if bindable now."""
import socket
from pathlib import Path

import pytest

from tests.support.ports import EPHEMERAL, LOWEST, PortPicker, candidates, free_ports


@pytest.mark.parametrize("ephemeral, expected", [
    ((32768, 60999), range(LOWEST, 32768)),  # Linux's default: below it
    ((40000, 50000), range(LOWEST, 40000)),
    ((20500, 60999), range(61000, 65536)),  # too little room below: above it
    ((1024, 65000), range(LOWEST, 65536)),  # no room outside it: the bind check alone
])
def test_the_candidates_lie_outside_the_ephemeral_range_when_there_is_room(ephemeral, expected):
    assert candidates(ephemeral) == expected


def test_free_ports_are_distinct_new_and_outside_this_machines_ephemeral_range():
    low, high = map(int, Path(EPHEMERAL).read_text().split())
    first, second = free_ports(40), free_ports(40)
    assert len(set(first + second)) == 80
    if len(range(LOWEST, low)) >= 2000 or len(range(high + 1, 65536)) >= 2000:
        assert not [port for port in first + second if low <= port <= high]


def test_a_picker_hands_each_port_out_once_then_says_it_has_none_left():
    ports = free_ports(3)
    picker = PortPicker(ports, start=1)
    assert sorted(picker.take(2) + picker.take(1)) == sorted(ports)
    with pytest.raises(RuntimeError, match="no 1 free ports left"):
        picker.take(1)


def test_a_port_someone_holds_is_skipped():
    held, spare = free_ports(2)
    with socket.create_server(("127.0.0.1", held)):
        assert PortPicker([held, spare], start=0).take(1) == [spare]

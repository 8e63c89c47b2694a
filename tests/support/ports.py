"""Free TCP ports for the tests' servers: outside the kernel's ephemeral range, never the same one twice per process.

A port found by binding port 0 and closing comes from the ephemeral range, where every outgoing connection (a
Kafka client, a gRPC channel) takes its source port: in the moment before the server that was given it binds,
a connection can take it. Binding port 0 can also hand out a port again before the first taker has bound it.
So each process walks its own run of ports from a random point of the range below (or above) the ephemeral
one, remembers what it handed out, and skips any port it cannot bind right now. Other processes (the stacks'
children, benchmarks, another test session) start elsewhere in some 12,000 ports and skip every port already
bound; only a port another process handed out and has not bound yet, a few seconds at most, could be given
twice. That is simpler than a lock file shared between processes and, for the few hundred ports a session
uses, enough.
"""
from __future__ import annotations

import os
import random
import socket
import threading
from pathlib import Path
from typing import Sequence

EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_EPHEMERAL = (32768, 60999)  # the default, when the file cannot be read (not Linux)
LOWEST = 20000  # above every default port of the project (8443, 9092, 15051-15056, ...)
ENOUGH = 2000


def candidates(ephemeral: tuple[int, int] | None = None) -> range:
    """The ports to hand out: below the ephemeral range, else above it, else (no room outside it) all of them."""
    low, high = ephemeral or _ephemeral()
    for ports in (range(LOWEST, low), range(high + 1, 65536)):
        if len(ports) >= ENOUGH:
            return ports
    return range(LOWEST, 65536)


def _ephemeral() -> tuple[int, int]:
    try:
        low, high = map(int, EPHEMERAL.read_text().split())
    except (OSError, ValueError):
        return LINUX_EPHEMERAL
    return low, high


class PortPicker:
    """Hands out ports of `ports`, each once, in order from a random start, skipping those not bindable now."""

    def __init__(self, ports: Sequence[int], start: int | None = None):
        self._ports, self._lock, self._given = ports, threading.Lock(), set()
        self._next = random.randrange(len(ports)) if start is None else start

    def take(self, count: int) -> list[int]:
        """`count` distinct ports free on 127.0.0.1 right now and never handed out by this picker before."""
        taken: list[int] = []
        with self._lock:
            for _ in range(len(self._ports)):
                if len(taken) == count:
                    break
                port = self._ports[self._next]
                self._next = (self._next + 1) % len(self._ports)
                if port not in self._given and _bindable(port):
                    self._given.add(port)
                    taken.append(port)
        if len(taken) < count:
            raise RuntimeError(f"no {count} free ports left in {self._ports}")
        return taken


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_pickers: dict[int, PortPicker] = {}  # by process id: a forked child starts its own run


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports free on 127.0.0.1 right now, outside the ephemeral range, new to this process."""
    picker = _pickers.get(os.getpid())
    if picker is None:
        picker = _pickers.setdefault(os.getpid(), PortPicker(candidates()))
    return picker.take(count)

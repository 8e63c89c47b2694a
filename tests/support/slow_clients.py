"""Hostile connections to a TLS port, held from a child process: idle TCP, stalled handshakes, trickling heads."""
from __future__ import annotations

import multiprocessing
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

PARTIAL_CLIENT_HELLO = b"\x16\x03\x01\x02\x00\x01"  # a TLS record header and one byte of a ClientHello
HEAD_START = b"POST /ws/v2/FacturaService HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@dataclass(frozen=True)
class Attack:
    """How many connections of each kind, against which port, with which client certificate (for trickling)."""

    port: int
    cert: tuple[str, str]
    ca: str
    idle: int = 200
    stalled: int = 50
    trickling: int = 50
    trickle_every_s: float = 0.5
    connect_timeout_s: float = 10.0  # for a trickling client's TCP connection and handshake


def _trickler(attack: Attack, context: ssl.SSLContext) -> ssl.SSLSocket | None:
    """A TLS connection with the client certificate that has sent the start of a head; None if refused in time."""
    try:
        raw = socket.create_connection(("127.0.0.1", attack.port), timeout=attack.connect_timeout_s)
        tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
        tls.sendall(HEAD_START)
    except OSError:
        return None
    tls.setblocking(False)
    return tls


def _open(attack: Attack, sockets: list) -> int:
    """Open every connection (the trickling ones first, at once); the number of trickling clients that got in."""
    context = ssl.create_default_context(cafile=attack.ca)
    context.load_cert_chain(*attack.cert)
    if attack.trickling:
        with ThreadPoolExecutor(attack.trickling) as pool:
            tricklers = [s for s in pool.map(lambda _: _trickler(attack, context), range(attack.trickling)) if s]
        sockets.extend(tricklers)
    for _ in range(attack.idle):
        sockets.append(socket.create_connection(("127.0.0.1", attack.port), timeout=10))
    for _ in range(attack.stalled):
        raw = socket.create_connection(("127.0.0.1", attack.port), timeout=10)
        raw.sendall(PARTIAL_CLIENT_HELLO)
        sockets.append(raw)
    return sum(isinstance(s, ssl.SSLSocket) for s in sockets)


def _hold(attack: Attack, ready, stop) -> None:
    """Child process: open the connections, report, then trickle one header line per period until stopped."""
    sockets: list = []
    try:
        trickling = _open(attack, sockets)
    except OSError as error:
        ready.put(("error", repr(error)))
        return
    ready.put(("ready", trickling))
    tls = [s for s in sockets if isinstance(s, ssl.SSLSocket)]
    while not stop.wait(attack.trickle_every_s):
        for sock in list(tls):
            try:
                sock.send(b"X-Slow: 1\r\n")
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                pass
            except OSError:
                tls.remove(sock)
    open_at_end = sum(1 for s in sockets if _still_open(s))
    ready.put(("held", open_at_end))
    for sock in sockets:
        sock.close()


def _still_open(sock) -> bool:
    """Whether the server has neither closed the connection nor answered on it."""
    try:
        sock.setblocking(False)
        return sock.recv(1) is None
    except (BlockingIOError, ssl.SSLWantReadError):
        return True
    except OSError:
        return False


class SlowClients:
    """The attack in a child process (its sockets never compete for this process's GIL)."""

    def __init__(self, attack: Attack):
        context = multiprocessing.get_context("spawn")
        self._ready, self._stop = context.Queue(), context.Event()
        self._process = context.Process(target=_hold, args=(attack, self._ready, self._stop), daemon=True)
        self.trickling = 0

    def __enter__(self) -> "SlowClients":
        self._process.start()
        kind, value = self._ready.get(timeout=120)
        if kind != "ready":
            self._process.kill()
            raise RuntimeError(f"the slow clients could not connect: {value}")
        self.trickling = value
        return self

    def stop(self) -> int:
        """Stop trickling and close everything; how many connections the server still held open."""
        self._stop.set()
        kind, value = self._ready.get(timeout=60)
        self._process.join(timeout=10)
        return value

    def __exit__(self, *exc) -> None:
        if self._process.is_alive():
            self._stop.set()
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.kill()


def latencies(call, count: int, every_s: float, budget_s: float = float("inf")) -> list[float]:
    """Seconds each of count sequential calls took, one call started every every_s at most; fewer calls once
    budget_s has passed."""
    times, stop = [], time.monotonic() + budget_s
    for _ in range(count):
        began = time.monotonic()
        call()
        times.append(time.monotonic() - began)
        if time.monotonic() > stop:
            break
        time.sleep(max(0.0, every_s - times[-1]))
    return times

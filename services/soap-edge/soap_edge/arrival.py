"""A connection's arrival, advanced without blocking: the TLS handshake, then a request head read whole."""
from __future__ import annotations

import selectors
import socket
import ssl
import time
from enum import Enum

HEAD_END, BARE_LF_END = b"\r\n\r\n", b"\n\n"  # the second only so that gunicorn refuses a bare-LF head at once
HEAD_MAX_BYTES = 64 * 1024  # past this, gunicorn's own limits decide (the ingress's PEM header fits)
_READ = 16 * 1024


class Step(Enum):
    """What an arrival needs next."""

    READ = selectors.EVENT_READ
    WRITE = selectors.EVENT_WRITE
    HEAD = "head"      # a whole head is buffered: hand the connection to a thread
    CLOSED = "closed"  # the peer left or broke the handshake: close it


class Arrival:
    """One connection between accept (or keep-alive readiness) and a complete request head.

    tls: the server context when this connection still needs its handshake (sock is then a plain socket).
    Each stage has its own deadline: handshake_s for the handshake, head_s from then on for the head.
    """

    __slots__ = ("head", "_head_s", "handshaking", "deadline", "head_started", "sock", "refusal")

    def __init__(self, sock: socket.socket, tls: ssl.SSLContext | None, handshake_s: float, head_s: float,
                 buffered: bytes = b""):
        self.head = bytearray(buffered)
        self._head_s = head_s
        self.handshaking = tls is not None
        if self.handshaking:
            sock = tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            self.deadline = time.monotonic() + handshake_s
        else:
            self.deadline = time.monotonic() + head_s
        self.head_started = time.monotonic()
        self.sock = sock
        self.refusal: ssl.SSLError | None = None  # why the handshake failed, when it did

    def advance(self) -> Step:
        """Do whatever the socket allows now; what to wait for next."""
        try:
            if self.handshaking:
                self.sock.do_handshake()
                self.handshaking = False
                self.head_started = time.monotonic()
                self.deadline = self.head_started + self._head_s
            return self._read_head()
        except ssl.SSLWantReadError:
            return Step.READ
        except ssl.SSLWantWriteError:
            return Step.WRITE
        except ssl.SSLEOFError:  # the peer left
            return Step.CLOSED
        except ssl.SSLError as error:
            self.refusal = error if self.handshaking else None
            return Step.CLOSED
        except (OSError, ValueError):  # reset, or closed under us
            return Step.CLOSED

    def _read_head(self) -> Step:
        while not self._complete():
            try:
                chunk = self.sock.recv(_READ)
            except BlockingIOError:
                return Step.READ
            if not chunk:
                return Step.CLOSED
            self.head += chunk
        return Step.HEAD

    def _complete(self) -> bool:
        head = self.head
        return HEAD_END in head or BARE_LF_END in head or len(head) > HEAD_MAX_BYTES

"""A worker's idle kept-alive connections, in an epoll of their own that arms each one for a single readiness."""
from __future__ import annotations

import select

_ONCE = select.EPOLLIN | select.EPOLLONESHOT


class IdleConnections:
    """Kept-alive connections waiting for their next request.

    Each is armed for one readiness (EPOLLONESHOT): the kernel disarms it when it turns readable, so it stays
    registered while a thread serves it, and the thread arms it again (one epoll_ctl) when it idles, without
    waking the worker's event loop. The loop watches this epoll's own descriptor and takes what is ready.
    """

    def __init__(self):
        self._epoll = select.epoll()
        self._waiting: dict[int, object] = {}  # armed descriptors -> their connections

    def fileno(self) -> int:
        return self._epoll.fileno()

    def wait(self, conn) -> None:
        """From any thread: arm the connection (not armed now) for its next readiness."""
        fd = conn.sock.fileno()
        self._waiting[fd] = conn
        try:
            try:
                self._epoll.modify(fd, _ONCE)
            except FileNotFoundError:  # its first wait (or its descriptor's number was another socket's)
                self._epoll.register(fd, _ONCE)
        except (OSError, ValueError):
            del self._waiting[fd]
            raise

    def ready(self) -> list:
        """From the loop: the connections that turned readable (each disarmed, no longer waiting)."""
        ready = (self._waiting.pop(fd, None) for fd, _ in self._epoll.poll(0))
        return [conn for conn in ready if conn is not None]

    def forget(self, conn) -> None:
        """From the loop: stop watching a waiting connection (before it is closed)."""
        fd = conn.sock.fileno()
        self._waiting.pop(fd, None)
        try:
            self._epoll.unregister(fd)
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        self._epoll.close()

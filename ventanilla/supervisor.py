"""Runs child processes side by side: prefixed output, ordered shutdown, one failure stops all."""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO, Callable, Mapping, Sequence

from ventanilla.processes import dying_with_parent, stop_popen

log = logging.getLogger(__name__)


@dataclass
class Child:
    """A supervised child: its name, its process and how to stop it."""

    name: str
    process: subprocess.Popen
    stop: Callable[[], object]


class Supervisor:
    """Children started in order and stopped in reverse; their output multiplexed onto one stream."""

    def __init__(self, out: BinaryIO | None = None, stop_timeout_s: float = 20.0, width: int = 12):
        self.stopping = threading.Event()
        self._out = out if out is not None else sys.stdout.buffer
        self._stop_timeout_s, self._width = stop_timeout_s, width
        self._lock = threading.Lock()
        self._children: list[Child] = []
        self._pumps: list[threading.Thread] = []

    def handle_signals(self) -> None:
        """Make SIGINT and SIGTERM request a clean stop (call from the main thread)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, _frame: self._request_stop(signum))

    def _request_stop(self, signum: int) -> None:
        if not self.stopping.is_set():
            log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        self.stopping.set()

    def spawn(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> subprocess.Popen:
        """Start a child in its own process group (it dies with us) and supervise it."""
        process = subprocess.Popen(dying_with_parent(argv), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        log.info("started", extra={"child": name, "pid": process.pid})
        return self.adopt(name, process)

    def adopt(self, name: str, process: subprocess.Popen, stop: Callable[[], object] | None = None) -> subprocess.Popen:
        """Supervise a child started elsewhere; its stdout must be a pipe."""
        self._children.append(Child(name, process, stop or partial(stop_popen, process, self._stop_timeout_s)))
        pump = threading.Thread(target=self._pump, args=(name, process.stdout), name=f"pump-{name}", daemon=True)
        pump.start()
        self._pumps.append(pump)
        return process

    def say(self, name: str, text: str) -> None:
        """Write lines to the output stream under a name, like a child's."""
        for line in text.splitlines():
            self._write(name, line.encode() + b"\n")

    def _write(self, name: str, line: bytes) -> None:
        with self._lock:
            self._out.write(f"{name:<{self._width}}| ".encode() + line + (b"" if line.endswith(b"\n") else b"\n"))
            self._out.flush()

    def _pump(self, name: str, stream: BinaryIO) -> None:
        with stream:
            for line in iter(stream.readline, b""):
                self._write(name, line)

    def watch(self, poll_s: float = 0.2) -> Child | None:
        """Block until a stop is requested (None) or a child ends on its own (that child)."""
        while not self.stopping.wait(poll_s):
            for child in self._children:
                if child.process.poll() is not None:
                    return child
        return None

    def stop_all(self) -> None:
        """Stop every child, the last started first, and drain their output."""
        self.stopping.set()
        for child in reversed(self._children):
            if child.process.poll() is None:
                log.info("stopping", extra={"child": child.name, "pid": child.process.pid})
            child.stop()
            log.info("stopped", extra={"child": child.name, "code": child.process.returncode})
        for pump in self._pumps:
            pump.join(timeout=5.0)
        self._children.clear()
        self._pumps.clear()

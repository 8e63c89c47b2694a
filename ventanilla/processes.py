"""Small process helpers: process groups, pid files, log tails, dying with the parent."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Sequence

# Run in the child in place of a preexec_fn: the kernel SIGTERMs it when the thread that started it ends (at once if
# that thread ended before), then it becomes the program. A preexec_fn runs Python, and every fork hook, between
# fork and exec in a copy of a threaded parent, where a lock another thread held stays held: the child can hang
# before exec and the parent's Popen with it. Without one, subprocess uses vfork and runs no Python in the child.
_LAUNCHER = ("import ctypes, os, signal, sys\n"
             "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"  # 1: PR_SET_PDEATHSIG
             "if os.getppid() != int(sys.argv[1]): os._exit(128 + signal.SIGTERM)\n"
             "os.execvp(sys.argv[2], sys.argv[2:])\n")


def dying_with_parent(argv: Sequence[str]) -> list[str]:
    """argv started so that Linux SIGTERMs it when the thread that started it ends (argv as it is elsewhere)."""
    if not sys.platform.startswith("linux"):
        return list(argv)
    return [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(os.getpid()), *argv]


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (our own zombie children are reaped)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def cmdline(pid: int) -> str:
    """A process's command line as one string ('' when unknown)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def signal_group(pid: int, sig: int) -> None:
    """Send a signal to the process group led by pid (to pid alone if it leads none)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def wait_gone(pid: int, timeout_s: float) -> bool:
    """Wait until a process has ended; True if it did within the timeout."""
    deadline = time.monotonic() + timeout_s
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def stop_pid(pid: int, timeout_s: float) -> None:
    """Stop a process group led by pid: SIGTERM, wait, then SIGKILL."""
    signal_group(pid, signal.SIGTERM)
    if not wait_gone(pid, timeout_s):
        signal_group(pid, signal.SIGKILL)
        wait_gone(pid, 10.0)


def stop_popen(process: subprocess.Popen, timeout_s: float) -> int:
    """Stop a child started with start_new_session=True: SIGTERM its group, wait, SIGKILL; its exit code."""
    if process.poll() is None:
        signal_group(process.pid, signal.SIGTERM)
        try:
            return process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            signal_group(process.pid, signal.SIGKILL)
    return process.wait()


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a text file ('' when it does not exist)."""
    try:
        with open(path, "rb") as handle:
            return b"".join(deque(handle, maxlen=lines)).decode(errors="replace")
    except OSError:
        return ""


class PidFile:
    """A file holding the pid of a detached process, checked against its command line."""

    def __init__(self, path: Path, marker: str):
        self.path, self.marker = path, marker

    def write(self, pid: int) -> None:
        """Record a pid."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{pid}\n")

    def live_pid(self) -> int | None:
        """The recorded pid if that process is alive and still the one we started."""
        try:
            pid = int(self.path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if alive(pid) and self.marker in cmdline(pid) else None

    def remove(self) -> None:
        """Forget the pid."""
        self.path.unlink(missing_ok=True)

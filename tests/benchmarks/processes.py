"""The edge's gunicorn processes and their memory (Linux /proc): current RSS and peak RSS (VmHWM)."""
from __future__ import annotations

from pathlib import Path


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _environ_has(pid: int, entry: str) -> bool:
    try:
        return entry.encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def gunicorn_workers(module: str, port: int) -> list[int]:
    """Pids of the workers (forks: same command line) of the `python -m module` master serving that SOAP port."""
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    edge = {pid for pid in pids if f"-m\0{module}\0".encode() in _cmdline(pid)
            and _environ_has(pid, f"VENTANILLA_SOAP_PORT={port}")}
    return sorted(pid for pid in edge if _safe_parent(pid) in edge)


def _safe_parent(pid: int) -> int:
    try:
        return _parent(pid)
    except (OSError, ValueError, IndexError):
        return -1


def status_kib(pid: int, field: str) -> int:
    """A /proc/<pid>/status memory field (VmRSS, VmHWM) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    """Reset a process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0, needs permission)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


class PeakRss:
    """The peak RSS of a set of processes over a block: `with PeakRss(pids) as peak: ...; peak.result`."""

    def __init__(self, pids: list[int]):
        self.pids, self.result = pids, {}

    def __enter__(self) -> "PeakRss":
        self.before = {pid: status_kib(pid, "VmRSS") for pid in self.pids}
        for pid in self.pids:
            reset_peak(pid)
        return self

    def __exit__(self, *exc) -> None:
        peaks = {pid: status_kib(pid, "VmHWM") for pid in self.pids}
        self.result = {"rss_before_mib": round(max(self.before.values()) / 1024, 1),
                       "peak_rss_mib": round(max(peaks.values()) / 1024, 1),
                       "peak_growth_mib": round(max(peaks[p] - self.before[p] for p in self.pids) / 1024, 1)}

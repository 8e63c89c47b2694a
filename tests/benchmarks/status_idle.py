"""Diagnostic (not a benchmark; docs/benchmarks.md, issue 9): N status services started one after another on one
broker as obs_stacks.py starts them, beside CPU burners, the broker stopped for a few seconds during each start-up;
prints each status process's CPU per second while idle and, above 0.2 s/s, its busiest threads and a py-spy dump.

    .venv/bin/python -m tests.benchmarks.status_idle [services=4] [pause_s=8] [burners=3] [windows=2]
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from tests.benchmarks.benchstack import cpu_seconds, running_stack
from tests.benchmarks.obs_stacks import BACKENDS, _backend, broker_pid, setting_env
from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings


def _threads(pid: int) -> dict[str, float]:
    """CPU seconds per thread id of a process."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[task.name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def _pause_later(broker: int, delay_s: float, pause_s: float) -> None:
    def pause() -> None:
        time.sleep(delay_s)
        os.kill(broker, signal.SIGSTOP)
        time.sleep(pause_s)
        os.kill(broker, signal.SIGCONT)
    threading.Thread(target=pause, daemon=True).start()


def main(services: int = 4, pause_s: float = 8.0, burners: int = 3, windows: int = 2) -> None:
    burning = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(burners)]
    try:
        with running_stack() as stack, ExitStack() as running:
            broker, scratch, pids = broker_pid(stack), Path(tempfile.mkdtemp(prefix="status-idle-")), {}
            _, module, ready = BACKENDS[0]
            for index in range(services):
                env = setting_env(stack, scratch, f"s{index}", {"VENTANILLA_STATUS_METRICS_ADDRESS": "off"})
                ensure_topics(Settings.from_env(env))
                if pause_s:
                    _pause_later(broker, 1.0 + index * 0.7, pause_s)
                pids[index] = running.enter_context(_backend(env, module, ready, None)).pid
                print(f"status {index} pid {pids[index]} ready; load {os.getloadavg()[0]:.1f}", flush=True)
            for window in range(windows):
                before = {i: (cpu_seconds(p), _threads(p)) for i, p in pids.items()}
                started = time.monotonic()
                time.sleep(10)
                elapsed = time.monotonic() - started
                for i, pid in pids.items():
                    rate = (cpu_seconds(pid) - before[i][0]) / elapsed
                    print(f"window {window} status {i}: {rate * 1000:.0f} ms/s idle; load {os.getloadavg()[0]:.1f}")
                    if rate > 0.2:
                        after = _threads(pid)
                        busiest = sorted((after[t] - before[i][1].get(t, 0)) / elapsed for t in after)[-4:]
                        print(f"  busiest threads (s/s): {busiest}; logs in {scratch}")
                        if shutil.which("py-spy"):
                            subprocess.run(["py-spy", "dump", "--locals", "--pid", str(pid)])
    finally:
        for burner in burning:
            burner.kill()


if __name__ == "__main__":
    main(*[float(a) if "." in a else int(a) for a in sys.argv[1:]])

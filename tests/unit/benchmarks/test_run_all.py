"""make bench's runner: each script's time bound, and a script past it stopped with what it started."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.benchmarks import run_all


def test_a_known_script_is_bounded_by_three_times_its_estimate_and_at_least_ten_minutes():
    assert run_all.bound(Path("bench_reads.py"), short=False) == 3 * 8 * 60
    assert run_all.bound(Path("bench_edge_cpu.py"), short=True) == 10 * 60
    assert run_all.bound(Path("bench_unknown.py"), short=False) == 30 * 60


def test_a_script_that_ends_in_time_gives_its_exit_status():
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"], start_new_session=True)
    assert run_all.finished(process, 30) == 3


def test_a_script_past_its_bound_is_stopped_with_the_processes_it_started(tmp_path):
    pid_file = tmp_path / "child.pid"
    script = (f"import subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', 'import time; "
              f"time.sleep(600)']); open({str(pid_file)!r}, 'w').write(str(child.pid)); time.sleep(600)")
    process = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the script never started its child"
        time.sleep(0.05)
    started = time.monotonic()
    assert run_all.finished(process, 0.5, grace_s=5) is None
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, "the script's child outlived the stop"
        time.sleep(0.05)


def test_a_script_that_ignores_sigterm_is_killed_after_the_grace():
    script = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(600)"
    process = subprocess.Popen([sys.executable, "-c", script], start_new_session=True, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    assert run_all.finished(process, 0.2, grace_s=0.5) is None
    assert process.returncode == -9


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        waited = 0
    if waited == pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"

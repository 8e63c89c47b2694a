"""A process's CPU by thread, for the benchmarks (issue 15): read from /proc/PID/task, the Python threads named by a
map the process writes itself (Python 3.11 gives its threads no OS name).

In the measured process, `write_names(directory)` starts a daemon thread that writes threads-<pid>.json there every
second ({native thread id: Python thread name}). Outside it, `times(pid)` reads every thread's user + system CPU and
OS name, and `split(before, after, names)` sums the CPU between two readings by thread group (`group`: a pool's
threads together)."""
from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

_POOL = re.compile(r"^(?P<pool>ThreadPoolExecutor-\d+)_\d+$")


def write_names(directory: Path | str, every_s: float = 1.0) -> threading.Thread:
    """A daemon thread writing {native id: name} of this process's Python threads to threads-<pid>.json."""
    path = Path(directory) / f"threads-{os.getpid()}.json"

    def run() -> None:
        while True:
            names = {str(t.native_id): t.name for t in threading.enumerate() if t.native_id is not None}
            path.with_suffix(".tmp").write_text(json.dumps(names))
            path.with_suffix(".tmp").replace(path)
            time.sleep(every_s)

    thread = threading.Thread(target=run, name="bench-thread-names", daemon=True)
    thread.start()
    return thread


def times(pid: int) -> dict[int, tuple[str, float]]:
    """{thread id: (OS name, user + system CPU seconds)} of every thread of pid alive now."""
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        found[int(task.name)] = (comm, (int(rest[11]) + int(rest[12])) / tick)
    return found


def names(directory: Path | str, pid: int) -> dict[int, str]:
    """The Python thread names pid last wrote (write_names), {} if none."""
    path = Path(directory) / f"threads-{pid}.json"
    try:
        return {int(k): v for k, v in json.loads(path.read_text()).items()}
    except (FileNotFoundError, ValueError):
        return {}


def group(name: str) -> str:
    """A thread's group: a pool's threads together (`ThreadPoolExecutor-1_3` as `ThreadPoolExecutor-1`)."""
    matched = _POOL.match(name)
    return matched.group("pool") if matched else name


def split(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]],
          python_names: dict[int, str]) -> dict[str, float]:
    """CPU seconds spent between two readings, by thread group (Python name if known, else the OS name in brackets);
    threads that ended between them are lost (their CPU counts in the process's, not here)."""
    spent: dict[str, float] = {}
    for tid, (comm, cpu) in after.items():
        label = group(python_names[tid]) if tid in python_names else f"[{comm}]"
        spent[label] = spent.get(label, 0.0) + cpu - before.get(tid, (comm, 0.0))[1]
    return spent

"""`make bench`: every benchmark script of this directory (or those named), each in its own process, then the goal rows.

`python tests/benchmarks/run_all.py [NAME ...] [--short] [--list]` (`make bench BENCH="reads write_path --short"`).
NAME is a script's name without `bench_` (reads, write_path, …); none means all, in PLAN's order (the scripts that
give the goal rows of issues 15, 14 and 11 first, then the rest; scripts not in PLAN last). Each runs with this
interpreter from the checkout's root, the checkout after any PYTHONPATH given; a failing script does not stop the
run. --short passes each script its short mode where it has one (SHORT_FLAGS, or an argparse `--short`), nothing
to the others. Printed per script: its wall time and the 1-minute load average before and after; at the end, the
scripts that failed (exit status 1 if any) and the goal rows (goal_rows.py: var/bench/goals.md). A script still
running after its time bound (bound(): 3 × its estimate, at least 10 min) is stopped with its whole process group
(SIGTERM, then SIGKILL 30 s later: the stacks it started go with it) and counted as failed. --list prints the
plan with each script's estimated wall time (from the runs in docs/benchmarks.md) and runs nothing."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# name: (estimated minutes, full run; with --short) on a quiet 2-core machine, from the runs in docs/benchmarks.md
PLAN: dict[str, tuple[float, float]] = {
    "edge_cpu": (1, 0.5),
    "edge_tls": (1, 0.5),  # one edge, kept-alive connections against a new TLS connection per invoice
    "edge_estado": (4, 2),  # in-memory backends, then a real status service (hop_server.py)
    "edge_loop": (1.5, 1),  # the worker's event-loop thread per request, trivial Flask app (no stack)
    "reads": (8, 8),  # estado, paced, group and lag ~3 min; rebuild and replicas on 1 M events ~5 min
    "write_path": (3, 3),
    "registry_threads": (4, 2),  # one stack (two with --before), the registry's CPU per invoice by thread
    "portal": (2, 2),
    "observability": (20, 5),  # a whole stack per setting, 30 rotated rounds (6 with --short); then the edge alone
    "hop": (2, 1),
    "idle_polls": (2.5, 1),  # idle consumers: kafka-python as shipped against ours (kafka_timeouts)
    "follower_polls": (1.5, 1),  # a follower's poll timeout: idle CPU, and a record's delay, 200 ms against POLL_MS
    "projector_fetch": (2, 1),  # a projector-shaped follower's CPU per fetched event, kafka-python's sensors on/off
    "tail": (4, 1.5),  # consultarFactura's paced p99 per stage, Python's defaults against the configured process
    "projection_apply": (2, 0.5),
    "portal_inprocess": (1, 1),
    "portal_home_reads": (1, 1),
    "metrics_libs": (1, 1),
    "registry": (3, 3),
    "soap_edge": (4, 4),
    "edge_access": (3, 3),
    "slow_clients": (6, 6),
    "large_uploads": (2, 2),
    "lifecycle": (6, 6),  # 1 M events produced and rebuilt
    "claims_catch_up": (2, 2),
    "revocation": (2, 2),
    "rejoin": (4, 4),  # waits out 45 s and 10 s group sessions after each kill
    "stop": (15, 4),  # SIGTERM to exit per service, idle, under load, the broker frozen (the registry's: ~50 s)
    "foundation": (3, 3),  # clones the checkout twice: make install, kafka-jars and up in each
}
SHORT_FLAGS = {"edge_cpu": ("--quick",), "hop": ("--quick",), "tail": ("--quick",)}  # short modes under another name
_ARGPARSE_SHORT = re.compile(r"add_argument\(\s*[\"']--short[\"']")


def short_flags(script: Path) -> tuple[str, ...]:
    """The arguments that put a script in its short mode (none when it has no short mode)."""
    name = script.stem.removeprefix("bench_")
    if name in SHORT_FLAGS:
        return SHORT_FLAGS[name]
    return ("--short",) if _ARGPARSE_SHORT.search(script.read_text()) else ()


def scripts(names: list[str]) -> list[Path]:
    """The scripts named (in the order given), or every bench_*.py in PLAN's order, unknown ones last."""
    present = {path.stem.removeprefix("bench_"): path for path in sorted(HERE.glob("bench_*.py"))}
    if names:
        wanted = [n.removeprefix("bench_").removesuffix(".py") for n in names]
        unknown = [n for n in wanted if n not in present]
        if unknown:
            raise SystemExit(f"no such benchmark: {', '.join(unknown)} (known: {', '.join(sorted(present))})")
        return [present[n] for n in wanted]
    return [present[n] for n in PLAN if n in present] + [p for n, p in present.items() if n not in PLAN]


def estimate(script: Path, short: bool) -> str:
    """The script's estimated wall time, as text."""
    minutes = PLAN.get(script.stem.removeprefix("bench_"))
    return "?" if minutes is None else f"~{minutes[1 if short else 0]:g} min"


def bound(script: Path, short: bool) -> float:
    """Seconds a script may run before it is stopped: 3 × its estimate, at least 10 min (unknown scripts: 30 min)."""
    minutes = PLAN.get(script.stem.removeprefix("bench_"))
    return 60 * (30.0 if minutes is None else max(10.0, 3 * minutes[1 if short else 0]))


def finished(process: subprocess.Popen, seconds: float, grace_s: float = 30.0) -> int | None:
    """The process's exit status once it ends within `seconds`; else None, its process group stopped."""
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass
    for sent, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sent)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait_s)
            break
        except subprocess.TimeoutExpired:
            continue
    return None


def _load() -> float:
    return os.getloadavg()[0]


def run(script: Path, short: bool) -> dict:
    """One script in its own process (output straight through): its exit status, wall time and load around it."""
    args = list(short_flags(script)) if short else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)}
    load, started = _load(), time.monotonic()
    print(f"== {' '.join([script.stem, *args])} (estimated {estimate(script, short)}, load {load:.1f})", flush=True)
    process = subprocess.Popen([sys.executable, str(script), *args], cwd=ROOT, env=env, start_new_session=True)
    code = finished(process, bound(script, short))
    done = {"name": script.stem, "code": 1 if code is None else code, "seconds": time.monotonic() - started,
            "load": (load, _load())}
    outcome = ("ok" if code == 0 else f"FAILED (exit {code})" if code is not None
               else f"STOPPED after its bound of {bound(script, short) / 60:.0f} min")
    print(f"== {script.stem}: {outcome} in {done['seconds']:.0f} s, "
          f"load {done['load'][0]:.1f} → {done['load'][1]:.1f}", flush=True)
    return done


def main(argv: list[str]) -> int:
    """Run the scripts, then print the summary and the goal rows; exit 1 if any script failed."""
    short, names = "--short" in argv, [a for a in argv if not a.startswith("-")]
    chosen = scripts(names)
    if "--list" in argv:
        for script in chosen:
            flags = " ".join(short_flags(script)) or "(no short mode)"
            print(f"{script.stem:<24} {estimate(script, False):>9} full {estimate(script, True):>9} short  {flags}")
        total = [sum(PLAN.get(s.stem.removeprefix("bench_"), (0, 0))[i] for s in chosen) for i in (0, 1)]
        print(f"{'total (known)':<24} {f'~{total[0]:g} min':>9} full {f'~{total[1]:g} min':>9} short")
        return 0
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())  # JSON left by earlier runs is marked in goals.md
    results = [run(script, short) for script in chosen]
    print("\n== summary")
    for done in results:
        print(f"{done['name']:<24} {'ok' if done['code'] == 0 else 'FAILED':<7} {done['seconds']:7.0f} s   "
              f"load {done['load'][0]:.1f} → {done['load'][1]:.1f}")
    failed = [done["name"] for done in results if done["code"] != 0]
    print(f"failed: {', '.join(failed)}" if failed else "every script finished", flush=True)
    subprocess.run([sys.executable, str(HERE / "goal_rows.py"), "--since", since], cwd=ROOT, check=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

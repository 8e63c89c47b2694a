"""Instructions per call of each stage's loop: one valgrind run of a child that calls getppid() around each loop."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable


def loop_instructions(child_argv: list[str], stages: tuple[str, ...], runs: int, out: Path,
                      keep: Path | None = None, label: str = "") -> dict[str, float]:
    """Run `python child_argv…` under callgrind with a dump before every getppid(); the loops' dumps ÷ `runs`.

    The child calls getppid() before and after each stage's loop, in `stages`' order; the dumps are removed, or
    moved into `keep` (prefixed with `label`) when given."""
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.out", "--dump-before=getppid",
                    sys.executable, *child_argv],
                   check=True, capture_output=True, cwd=out, env=dict(os.environ, PYTHONHASHSEED="0"))
    dumps = sorted(out.glob("cg.out.*"), key=lambda p: int(p.suffix[1:]))
    totals = [next(int(line.split()[1]) for line in p.read_text().splitlines() if line.startswith("totals:"))
              for p in dumps]
    for p in out.glob("cg.out*"):
        if keep:
            p.rename(keep / f"{label}-{p.name}")
        else:
            p.unlink()
    loops = totals[-2 * len(stages):][1::2]  # each loop's dump follows its start's (the exit's dump is cg.out)
    return {stage: loop / runs for stage, loop in zip(stages, loops)}


def variants_announced(root: Path, before: Path | None, rounds: int, runs: int) -> dict[str, Path]:
    """The product trees to compare ("after": this checkout, "before": another's, when given), once the run's
    commit, time, load average, rounds and calls per stage are printed."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    print(f"commit {commit.stdout.strip()}, {time.strftime('%H:%M:%SZ', time.gmtime())}, "
          f"load average {os.getloadavg()[0]:.1f}, {rounds} rounds x {runs} calls per stage")
    return {"after": root} if before is None else {"before": before.resolve(), "after": root}


def stages_main(script: str, description: str, root: Path, stages: tuple[str, ...],
                child: Callable[[Path, int], dict[str, float]],
                callgrind: Callable[[Path, int, Path], dict[str, float]]) -> None:
    """A per-stage before/after benchmark's command line: `script [--before DIR] [--rounds R] [--runs N]
    [--callgrind]`, each round one fresh process per tree (`script --child TREE --runs N` prints child's JSON), the
    order alternating; the medians printed per stage, with each round's figures and after ÷ before."""
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another commit's product tree (git archive export)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--callgrind", action="store_true", help="instructions per call under valgrind instead")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child.resolve(), args.runs)))
        return
    variants = variants_announced(root, args.before, args.rounds, args.runs)
    unit = "instructions (k) per call, callgrind" if args.callgrind else "CPU ms per call"
    figures: dict[str, dict[str, list[float]]] = {v: {s: [] for s in stages} for v in variants}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for variant in (list(variants) if round_ % 2 == 0 else list(reversed(variants))):
                if args.callgrind:
                    measured = {s: n / 1e3 for s, n in callgrind(variants[variant], args.runs, Path(tmp)).items()}
                else:
                    out = subprocess.run([sys.executable, script, "--child", str(variants[variant]),
                                          "--runs", str(args.runs)], check=True, capture_output=True, text=True,
                                         cwd=tmp)
                    measured = json.loads(out.stdout.strip().splitlines()[-1])
                for stage, value in measured.items():
                    figures[variant][stage].append(value)
    print(f"{unit}, median of {args.rounds} rounds (each round's figures after the slash); load average "
          f"{os.getloadavg()[0]:.1f}")
    width = max(map(len, stages)) + 1
    for stage in stages:
        cells = [f"{statistics.median(figures[v][stage]):.3f} ({' / '.join(f'{x:.3f}' for x in figures[v][stage])})"
                 for v in variants]
        ratio = (f"  after/before {statistics.median(figures['after'][stage]) / statistics.median(figures['before'][stage]):.3f}"
                 if "before" in variants else "")
        print(f"{stage:{width}} " + "  ".join(f"{v}: {c}" for v, c in zip(variants, cells)) + ratio)


def timed_loop(step: Callable[[], object], runs: int, warm_up: int) -> float:
    """CPU ms per call of step over runs calls after warm_up, the loop cut out for callgrind by a getppid() on each
    side (loop_instructions)."""
    for _ in range(warm_up):
        step()
    os.getppid()  # callgrind dumps here: what came before is not the loop
    started = time.process_time()
    for _ in range(runs):
        step()
    cpu = time.process_time() - started
    os.getppid()  # callgrind dumps here: the loop
    return cpu * 1000 / runs

"""Instructions per call of each stage's loop: one valgrind run of a child that calls getppid() around each loop."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


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

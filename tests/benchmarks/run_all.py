"""`make bench`: run the benchmark scripts of this directory (all, or those named) one after another; options
(`--short`) reach every script, which reads its own from sys.argv (`make bench BENCH="observability --short"`)."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    """Run bench_<name>.py for each name given, or every bench_*.py."""
    scripts = [HERE / f"bench_{n}.py" for n in names if not n.startswith("-")] or sorted(HERE.glob("bench_*.py"))
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

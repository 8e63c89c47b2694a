"""`make bench`: run every tests/benchmarks/bench_*.py script in turn (each starts what it needs)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    """Run each benchmark script; the first failure's exit status, else 0."""
    status = 0
    for script in sorted(Path(__file__).parent.glob("bench_*.py")):
        print(f"== {script.name}", file=sys.stderr, flush=True)
        status = status or subprocess.run([sys.executable, str(script), *sys.argv[1:]]).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())

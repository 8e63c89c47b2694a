"""`make bench`: start a private stack and run the named benchmarks (all by default); print JSON results.

    python tests/benchmarks/run_all.py [consultar] [enviar] [rss] [profile] [workers] [--out results.json]
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = {"consultar": "bench_consultar", "enviar": "bench_enviar", "rss": "bench_rss", "profile": "bench_profile",
              "workers": "bench_workers"}


def machine() -> dict:
    """nproc, CPU model and RAM of this machine."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    ram_kib = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")))
    load = Path("/proc/loadavg").read_text().split()[:3]
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(ram_kib / 1024 / 1024, 1),
            "python": platform.python_version(), "loadavg_at_start": load}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks against one stack started for the purpose."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], default=[], metavar="NAME",
                        help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--out", type=Path, help="also write the JSON results to this file")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.benchstack import running_stack

    names = args.names or list(BENCHMARKS)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    results = {"machine": machine(), "commit": commit.strip(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with running_stack() as stack:
        for name in names:
            module = importlib.import_module(f"tests.benchmarks.{BENCHMARKS[name]}")
            print(f"running {name} ...", file=sys.stderr, flush=True)
            results[name] = module.run(stack)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Issue 3 figures for the SOAP edge, all against one private stack: `python tests/benchmarks/bench_soap_edge.py
[consultar] [enviar] [rss] [profile] [workers]` (all by default; also run by `make bench`). Prints JSON."""
from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {"consultar": "edge_consultar", "enviar": "edge_enviar", "rss": "edge_rss", "profile": "edge_profile",
            "workers": "edge_workers"}
OUT = ROOT / "var" / "bench" / "soap_edge.json"


def machine() -> dict:
    """nproc, CPU model and RAM of this machine, and its load when the run starts."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    ram_kib = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")))
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(ram_kib / 1024 / 1024, 1),
            "python": platform.python_version(), "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3]}


def publish(results: dict, out: Path) -> None:
    """Add the load at the end, write the results as JSON to `out` and print them."""
    results["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    text = json.dumps(results, indent=2, ensure_ascii=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(text)


def main(argv: list[str]) -> int:
    """Run the named sections (unknown names, such as run_all's own, are ignored); write OUT too."""
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.benchstack import running_stack

    names = [a for a in argv if a in SECTIONS] or list(SECTIONS)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    results = {"machine": machine(), "commit": commit.strip(),
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "edge": "HTTPS with mandatory client certificates (the seller's dev certificate); the wrk comparison "
                       "and the worker variants use extra edges in ingress mode (see edge_consultar.py)"}
    with running_stack() as stack:
        for name in names:
            print(f"-- {name}", file=sys.stderr, flush=True)
            results[name] = importlib.import_module(f"tests.benchmarks.{SECTIONS[name]}").run(stack)
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

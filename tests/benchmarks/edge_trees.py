"""The edge alone per consultarEstadoFactura (tests/benchmarks/edge_overhead.py), run from this checkout and from
another checkout of the project (its own tree and virtualenv, e.g. /work/main), alternately, against one private
stack: every part of the edge's observability as each tree has it (server span, decision, client call, resource,
export), where `bench_observability.py --before` swaps only the WSGI front.

`.venv/bin/python tests/benchmarks/edge_trees.py OTHER_CHECKOUT [pairs] [slices] [ratios]` (3 pairs of 12 slices of
60 requests per variant by default; ratios, e.g. 0,1: traced edges at these sampling ratios too, the unsampled path
alone and every request sampled). Each run reports its variants against its own metrics-off edge (same process,
slices interleaved); the summary gives, per tree, the median over its runs of each variant's added µs and ratio.
JSON out.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]

from tests.benchmarks.benchstack import running_stack  # noqa: E402


def _run(tree: Path, given: dict) -> dict:
    done = subprocess.run([str(tree / ".venv" / "bin" / "python"), "-m", "tests.benchmarks.edge_overhead"],
                          input=json.dumps(given), cwd=tree, capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(done.stdout.strip().splitlines()[-1])["variants"]


def main(other: Path, pairs: int = 3, slices: int = 12, ratios: str = "") -> dict:
    """Each tree's variants (added µs and ratio to its metrics-off edge), medians over alternated runs."""
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    trees = {"this checkout": ROOT, str(other): other}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    load = [Path("/proc/loadavg").read_text().split()[0]]
    with running_stack() as stack:
        given = {"env": stack.env, "cert": str(stack.client.cert), "key": str(stack.client.key),
                 "ca": str(stack.client.ca), "slices": slices, "per_slice": 60, "before": None,
                 "ratios": [r for r in ratios.split(",") if r]}
        for pair in range(pairs):
            order = list(trees) if pair % 2 == 0 else list(reversed(trees))
            for name in order:
                runs[name].append(_run(trees[name], given))
                load.append(Path("/proc/loadavg").read_text().split()[0])
    summary = {name: {variant: {"added_us": round(statistics.median(r[variant]["added_us"] for r in found), 1),
                                "vs_off": round(statistics.median(r[variant]["vs_off"] for r in found), 3),
                                "runs_added_us": [r[variant]["added_us"] for r in found]}
                      for variant in found[0]} for name, found in runs.items()}
    return {"started": started, "ended": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "pairs": pairs,
            "slices": slices,
            "loadavg_1min": load, "trees": summary}


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(Path(args[0]), *(int(a) for a in args[1:3]), *args[3:4]), indent=1))

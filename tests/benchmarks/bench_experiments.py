"""grpc's EventEngine experiments (GRPC_EXPERIMENTS) on the edge → status hop, interleaved in one run:
`python tests/benchmarks/bench_experiments.py [--rounds R] [--calls N] [--rows TEXT]` runs bench_hop.py (its rows
holding TEXT, "edge client → status service (as wired)" by default, and its floor) once per variant and round, each
run in a fresh process with the variant's GRPC_EXPERIMENTS set before grpc starts (its hop_server.py inherits it), in
palindromic order (A B1 B2 B3 B3 B2 B1 A) so that drift in the machine's load falls on every variant alike. Reports
per variant and row the median and range of the caller's, the server's and both CPU per call, the context switches
per call on both sides and the median latency, and both CPU's ratio to the default's (of the medians, and of each
round's two runs); writes var/bench/experiments.json.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_soap_edge import machine, publish  # noqa: E402

OUT = ROOT / "var" / "bench" / "experiments.json"
HOP = ROOT / "var" / "bench" / "hop.json"
ENGINE = ("event_engine_client", "event_engine_listener")
VARIANTS = {  # variant: GRPC_EXPERIMENTS ("": grpc's defaults)
    "default": "",
    "client+listener off": ",".join(f"-{name}" for name in ENGINE),
    "+ callback_cq off": ",".join(f"-{name}" for name in (*ENGINE, "event_engine_callback_cq")),
    "all event engine off": ",".join(f"-{name}" for name in (
        *ENGINE, "event_engine_callback_cq", "event_engine_for_all_other_endpoints", "event_engine_fork")),
}
KEYS = ("client_cpu_ms", "server_cpu_ms", "both_cpu_ms", "p50_ms", "server context switches per call",
        "caller context switches per call")


def _run(experiments: str, calls: int, rows: str) -> dict:
    """One bench_hop.py run with GRPC_EXPERIMENTS=experiments (unset when empty): its rows; grpc's complaints."""
    env = {key: value for key, value in os.environ.items() if key != "GRPC_EXPERIMENTS"}
    if experiments:
        env["GRPC_EXPERIMENTS"] = experiments
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "benchmarks" / "bench_hop.py"), "--rounds", "1",
                           "--calls", str(calls), "--rows", rows], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Unknown experiment" not in done.stderr, done.stderr[-2000:]
    return json.loads(HOP.read_text())["rows"]


def _mean_both(runs: list[dict], row: str) -> float:
    """Both sides' CPU per call of `row`, averaged over a round's runs."""
    return statistics.mean(run[row]["both_cpu_ms"] for run in runs)


def main(argv: list[str]) -> int:
    """Every variant in palindromic rounds; medians, ranges and ratios to the default."""
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 2
    calls = int(argv[argv.index("--calls") + 1]) if "--calls" in argv else 5000
    rows = argv[argv.index("--rows") + 1] if "--rows" in argv else "edge client → status service (as wired)"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    results = {"machine": machine(), "commit": commit.strip(),
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "command": "python tests/benchmarks/bench_experiments.py " + " ".join(argv),
               "load": f"{calls} GetStates calls (1 id) per row and run, {rounds} palindromic rounds (2 runs of "
                       "each variant a round)", "variants": VARIANTS, "loadavg_start": round(os.getloadavg()[0], 2)}
    order = list(VARIANTS) + list(reversed(VARIANTS))
    samples: dict[str, list[dict]] = {variant: [] for variant in VARIANTS}
    for _ in range(rounds):
        for variant in order:
            samples[variant].append(_run(VARIANTS[variant], calls, rows))
    found: dict[str, dict] = {}
    for variant, runs in samples.items():
        for row in runs[0]:
            found.setdefault(row, {})[variant] = {
                key: {"median": round(statistics.median(run[row][key] for run in runs), 3),
                      "range": [round(min(run[row][key] for run in runs), 3),
                                round(max(run[row][key] for run in runs), 3)]} for key in KEYS}
    for row, variants in found.items():
        default = variants["default"]["both_cpu_ms"]["median"]
        for variant, measured in variants.items():
            measured["both_cpu_vs_default"] = round(measured["both_cpu_ms"]["median"] / default, 3)
            measured["both_cpu_vs_default, each round"] = [
                round(_mean_both(samples[variant][2 * r:2 * r + 2], row)
                      / _mean_both(samples["default"][2 * r:2 * r + 2], row), 3) for r in range(rounds)]
    results["rows"], results["loadavg_end"] = found, round(os.getloadavg()[0], 2)
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

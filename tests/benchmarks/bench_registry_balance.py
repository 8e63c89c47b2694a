"""Issue 15, how evenly the edge's calls reach the registry's processes: `python
tests/benchmarks/bench_registry_balance.py [--channels 8,32] [--rounds 5] [--invoices 160] [--clients 8]
[--before DIR ...]`.

Each round starts one private stack per VENTANILLA_EDGE_REGISTRY_CHANNELS value (2 registry processes sharing
their port; the values' order alternates by round); with --before DIR (another commit's product tree, as
bench_write_path's; repeatable, e.g. the same DIR twice as an A/A control), one stack of each DIR's product and one
of this checkout's, each with the first --channels value and runs bench_write_path's closed-loop enviarFactura on it:
invoices/s, each registry process's share of the registry's CPU, and the edge's connections to each process
(the kernel's SO_REUSEPORT hash, random per connection). Prints JSON and writes var/bench/registry_balance.json
after every stack.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))

from tests.benchmarks.bench_registry import machine, stack_env  # noqa: E402
from tests.benchmarks.bench_write_path import IDLE_S, before_env, stack_variant  # noqa: E402
from tests.support.signing_pki import build_signing_pki  # noqa: E402

PROCESSES = ("registry_service 0", "registry_service 1")


def max_share(by_process: dict[str, float]) -> float | None:
    """The larger registry process's share of what both did (CPU or connections)."""
    values = [by_process.get(name, 0) for name in PROCESSES]
    return round(max(values) / sum(values), 3) if sum(values) else None


def predicted_max_share(run: dict) -> float | None:
    """The larger process's share of the calls that the connections give: each edge worker round-robins its
    calls over its own connections, and its share of the calls is taken as its share of the edge workers' CPU."""
    workers = run["edge_registry_connections_by_worker"]
    cpu = {pid: run["edge_cpu_ms_per_invoice_by_pid"].get(pid, 0.0) for pid in workers}
    if not sum(cpu.values()):
        return None
    calls = {name: sum(cpu[pid] / sum(cpu.values()) * w.get(name, 0) / sum(w.values()) for pid, w in workers.items())
             for name in PROCESSES}
    return max_share(calls)


def summary(runs: list[dict]) -> dict:
    """One setting's runs: the distributions of the larger process's shares and of invoices/s."""
    cpu, connections = [r["cpu_max_share"] for r in runs], [r["connections_max_share"] for r in runs]
    rates = [r["per_s"] for r in runs]
    return {"runs": len(runs), "cpu_max_share": sorted(cpu), "cpu_max_share_median": statistics.median(cpu),
            "connections_max_share": sorted(connections),
            "calls_max_share_predicted": sorted(r["calls_max_share_predicted"] or 0 for r in runs), "per_s": rates,
            "per_s_median": statistics.median(rates)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", default="8,32", help="VENTANILLA_EDGE_REGISTRY_CHANNELS values, compared")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--invoices", type=int, default=160)
    parser.add_argument("--idle-s", type=float, default=IDLE_S)
    parser.add_argument("--before", type=Path, action="append", default=[],
                        help="another commit's product tree, against this checkout's (repeatable)")
    args = parser.parse_args()
    channels = [int(c) for c in args.channels.split(",")]
    # (label, channels, product tree or None for this checkout's)
    variants = ([*((f"before {i + 1}" if i else "before", channels[0], tree) for i, tree in enumerate(args.before)),
                 ("this", channels[0], None)] if args.before else
                [(str(count), count, None) for count in channels])
    labels = [label for label, _, _ in variants]
    report = {"machine": machine(), "command": " ".join(["bench_registry_balance.py", *sys.argv[1:]]),
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": []}
    out = ROOT / "var" / "bench" / "registry_balance.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pki = build_signing_pki(tmp / "pki")
        for round_ in range(args.rounds):
            for label, count, tree in variants if round_ % 2 == 0 else variants[::-1]:
                env = {**stack_env(tmp / f"state-{round_}-{label}", pki), "VENTANILLA_REGISTRY_PROCESSES": "2",
                       "VENTANILLA_EDGE_REGISTRY_CHANNELS": str(count)}
                run = stack_variant(before_env(env, tree) if tree else env, pki, args)
                run.update(round=round_, variant=label, channels=count,
                           edge_cpu_ms_per_invoice=round(sum(run["edge_cpu_ms_per_invoice_by_pid"].values()), 2),
                           cpu_max_share=max_share(run["cpu_ms_per_invoice_by_process"]),
                           connections_max_share=max_share(run["edge_registry_connections_by_process"]),
                           calls_max_share_predicted=predicted_max_share(run))
                report["runs"].append(run)
                report["by_variant"] = {v: summary([r for r in report["runs"] if r["variant"] == v])
                                        for v in labels if any(r["variant"] == v for r in report["runs"])}
                out.write_text(json.dumps(report, indent=2))
    # each round's figures against the first variant's of the same round: the interleaved ratios
    first = {r["round"]: r for r in report["runs"] if r["variant"] == labels[0]}
    for key in ("per_s", "edge_cpu_ms_per_invoice", "cpu_ms_per_invoice", "p50_ms", "p99_ms"):
        report[f"{key}_over_first_by_round"] = {
            v: [round(r[key] / first[r["round"]][key], 3) for r in report["runs"] if r["variant"] == v]
            for v in labels[1:]}
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

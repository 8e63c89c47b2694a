"""The Markdown summary of a load run from Locust's CSV files and what run.py recorded."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

LAG_TYPE = "LAG"


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _ms(value: str) -> str:
    return "–" if value in ("", "N/A", None) else f"{float(value):,.0f}"


def operations_table(stats: list[dict]) -> list[str]:
    lines = ["| operation | requests | failures | per s | p50 ms | p95 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in stats:
        if row["Name"] == "Aggregated" or row["Type"] == LAG_TYPE:
            continue
        lines.append(f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
                     f"{float(row['Requests/s']):.2f} | {_ms(row['50%'])} | {_ms(row['95%'])} | {_ms(row['99%'])} |")
    return lines


def lag_lines(stats: list[dict]) -> list[str]:
    lag = [row for row in stats if row["Type"] == LAG_TYPE]
    if not lag:
        return ["No back-office update was timed."]
    row = lag[0]
    return [f"{row['Request Count']} updates timed ({row['Failure Count']} not visible within 30 s): "
            f"p50 {_ms(row['50%'])} ms, p95 {_ms(row['95%'])} ms, p99 {_ms(row['99%'])} ms, "
            f"max {_ms(row['Max Response Time'])} ms."]


_WRAPPED = re.compile(r"^CatchResponseError\(([\'\"])(.*)\1\)$")


def fault_of(error: str) -> str:
    """The fault key (or failure reason) Locust recorded, without its exception wrapper."""
    found = _WRAPPED.match(error)
    return found.group(2) if found else error


def faults_table(failures: list[dict]) -> list[str]:
    if not failures:
        return ["None."]
    lines = ["| operation | fault key | count |", "|---|---|---:|"]
    for row in sorted(failures, key=lambda r: -int(r["Occurrences"])):
        lines.append(f"| {row['Name']} | {fault_of(row['Error'])} | {row['Occurrences']} |")
    return lines


def steps_table(steps: list[dict]) -> list[str]:
    lines = ["| step | users | offered submissions/s | carried/s | submission p95 ms | failure ratio |",
             "|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {s['step']} | {s['users']} | {s['offered_submissions_per_s']} | {s['submissions_per_s']} | "
              f"{s.get('p95_ms') or '–'} | {s['failure_ratio']} |" for s in steps]
    carried = [s for s in steps if s["submissions_per_s"] >= 0.9 * s["offered_submissions_per_s"]
               and s["failure_ratio"] <= 0.05]
    best = max(steps, key=lambda s: s["submissions_per_s"], default=None)
    knee = (f"Knee: the last step carrying its offered load was step {carried[-1]['step']} "
            f"({carried[-1]['submissions_per_s']} submissions/s); the most carried was "
            f"{best['submissions_per_s']} submissions/s (step {best['step']}).") if carried else \
        "Knee: below the first step." if steps else "No step completed."
    return lines + ["", knee]


def write(out: Path) -> Path:
    """Write out/report.md from out/locust_stats.csv, locust_failures.csv, steps.json and run.json."""
    run = json.loads((out / "run.json").read_text())
    stats = _rows(out / "locust_stats.csv")
    total = next((r for r in stats if r["Name"] == "Aggregated"), None)
    lines = [f"# Load run {run['started']}", "",
             f"- command: `{run['command']}`",
             f"- target: {run['target']} ({'a private local stack' if run['local_stack'] else 'given by the caller'})",
             f"- profile: {run['profile']}, {run['seconds']:.0f} s, scale {run['scale']}",
             f"- machine: {run['machine']}; load average {run['load_before']:.2f} before, "
             f"{run['load_after']:.2f} after",
             f"- load generator: {run['generator_cpu_s']:.1f} s of CPU over {run['wall_s']:.1f} s "
             f"({run['generator_cpu_s'] / run['wall_s']:.2f} cores)" +
             ("; it shares this machine's CPU with the stack under test, so the stack had less than the whole "
              "machine" if run["local_stack"] else ""),
             f"- throughput: {float(total['Requests/s']):.2f} requests/s in all" if total else "- throughput: none",
             "", "## Operations", "", *operations_table(stats), "",
             "## Projection lag seen from a client", "",
             "From the back office's update (acknowledged by the broker) to consultarEstadoFactura showing it.", "",
             *lag_lines(stats), "", "## Faults by key", "", *faults_table(_rows(out / "locust_failures.csv"))]
    if (out / "steps.json").exists():
        lines += ["", "## Steps", "", *steps_table(json.loads((out / "steps.json").read_text()))]
    lines += ["", f"Locust's own report: {out / 'locust.html'}"]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    return out / "report.md"

"""The Markdown report of a load run from Locust's CSV files."""
from __future__ import annotations

import csv
import json

from tests.load import report

HEADER = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time", "Average Response Time",
          "Min Response Time", "Max Response Time", "Average Content Size", "Requests/s", "Failures/s", "50%",
          "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"]


def _stats_row(kind, name, count, failures, rps, p50, p95, p99, maximum):
    values = dict.fromkeys(HEADER, "0")
    values.update({"Type": kind, "Name": name, "Request Count": count, "Failure Count": failures, "Requests/s": rps,
                   "50%": p50, "95%": p95, "99%": p99, "Max Response Time": maximum})
    return values


def test_report_has_operations_lag_faults_steps_and_the_generator_cpu(tmp_path):
    with (tmp_path / "locust_stats.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, HEADER)
        writer.writeheader()
        writer.writerow(_stats_row("POST", "enviarFactura (mtom)", 100, 2, 1.5, 180, 400, 900, 1200))
        writer.writerow(_stats_row("LAG", "back-office update → visible", 40, 0, 0.5, 60, 200, 300, 320))
        writer.writerow(_stats_row("", "Aggregated", 140, 2, 2.0, 100, 300, 800, 1200))
    with (tmp_path / "locust_failures.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["Method", "Name", "Error", "Occurrences"])
        writer.writeheader()
        writer.writerow({"Method": "POST", "Name": "enviarFactura (mtom)", "Occurrences": 2,
                         "Error": "CatchResponseError('facturae.error.validation.facturaRepetida')"})
    (tmp_path / "steps.json").write_text(json.dumps([
        {"step": 1, "users": 10, "offered_submissions_per_s": 3.0, "submissions_per_s": 3.0, "failure_ratio": 0},
        {"step": 2, "users": 20, "offered_submissions_per_s": 6.0, "submissions_per_s": 5.8, "failure_ratio": 0},
        {"step": 3, "users": 30, "offered_submissions_per_s": 9.0, "submissions_per_s": 6.1, "failure_ratio": 0}]))
    (tmp_path / "run.json").write_text(json.dumps({
        "started": "2026-12-06T08:00:00+00:00", "command": "make load", "target": "https://127.0.0.1:1/ws",
        "local_stack": True, "profile": "step", "seconds": 180, "scale": 1.0, "machine": "2 cores",
        "load_before": 1.0, "load_after": 2.0, "generator_cpu_s": 30.0, "wall_s": 120.0}))
    text = report.write(tmp_path).read_text()
    assert "| enviarFactura (mtom) | 100 | 2 | 1.50 | 180 | 400 | 900 |" in text
    assert "40 updates timed (0 not visible within 30 s): p50 60 ms, p95 200 ms, p99 300 ms" in text
    assert "| enviarFactura (mtom) | facturae.error.validation.facturaRepetida | 2 |" in text
    assert "(0.25 cores); it shares this machine's CPU with the stack under test" in text
    assert ("Knee: the last step carrying its offered load was step 2 (5.8 submissions/s); the most carried was "
            "6.1 submissions/s (step 3).") in text
    assert "back-office update → visible |" not in text  # the lag is reported apart, not as an operation

"""goal_rows turns the benchmarks' JSON into goal rows: each verdict at its boundary, missing files and keys."""
from __future__ import annotations

import json

import pytest

from tests.benchmarks import goal_rows
from tests.benchmarks.goal_rows import MET, NOT_MEASURED, NOT_MET, rows
from tests.benchmarks.goal_table import GOALS, START_STAGE_SUM_MS


def _row(documents: dict, path_start: str) -> goal_rows.Row:
    return next(r for r in rows(documents) if r.path.startswith(path_start))


FLOOR = "floor (one bare gRPC call per request)"


def _reads(ratio=0.45, p99=10.0, errors=0, rate=500, group=(15.0, 30.0), lag=50.0, rebuild=0.5, replica=15.0) -> dict:
    return {"commit": "abc1234", "machine": {"loadavg_at_start": ["0.50", "1", "1"]}, "loadavg_at_end": ["2.25"],
            "estado": {"edge consultarEstadoFactura": {"rps": 450.0, "ratio_to_flask": ratio, "ratio_to_floor": 1.125,
                                                      "server_cpu_ms_per_request": 0.8,
                                                      "status_cpu_ms_per_request": 0.3,
                                                      "state_batches": {"calls": 100, "mean_queries_per_call": 1.8}},
                       "trivial Flask, same bytes": {"rps": 1000.0, "server_cpu_ms_per_request": 0.44},
                       FLOOR: {"rps": 400.0, "ratio_to_flask": 0.4, "server_cpu_ms_per_request": 0.9,
                               "status_cpu_ms_per_request": 0.25}},
            "paced": {"edge consultarFactura": {"p99_ms": p99, "errors": errors, "rate_per_s": rate,
                                                "cpu_ratio_to_floor": 1.6},
                      "trivial Flask, same bytes": {"p99_ms": 1.5},
                      FLOOR: {"p99_ms": 4.2, "errors": 0, "edge_cpu_ms_per_request": 1.1,
                              "status_cpu_ms_per_request": 0.3}},
            "group": {"edge": {"p50_ms": group[0], "p99_ms": group[1]}, "trivial Flask, same bytes": {"p50_ms": 0.8}},
            "lag": {"p50_ms": 12.0, "p99_ms": lag},
            "rebuild": {"events": 1_000_000, "raw_read": [{"events_per_s": 100_000}, {"events_per_s": 140_000}],
                        "rebuild_reader_process_vs_raw_ratio": rebuild,
                        "new_status_replica": {"seconds_to_ready": 24.1},
                        "new_status_replica_from_snapshot": {"seconds_to_ready": replica}}}


def _write_path(per_s=100.0, over_edge=0.25, cpu_over_floor=1.5, floor=START_STAGE_SUM_MS / 2, rss=2.0,
                burst=1.5) -> dict:
    return {"commit": "def5678", "load_average_start": 2.4, "load_average_end": 2.6, "floor_cpu_ms": floor,
            "stack": {"per_s": per_s, "cpu_ms_per_invoice": 47.0, "busy_cores": 1.72}, "stack_over_edge_only": over_edge,
            "stack_cpu_over_floor": cpu_over_floor, "edge_only": {"per_s": 340.0},
            "stages_ceiling": {"processes": 2, "per_s": 71.4}, "cpu_ceilings": {"stage_sum_per_s": 102.3,
                                                                               "whole_stack_per_s": 67.8},
            "large_uploads": {"body_mb": 8.32, "per_request_in_flight_over_payload": rss, "burst_over_cpu_floor": burst}}


def _observability(metrics=0.97, traced=0.90, steady_metrics=1.03, steady_traced=1.10) -> dict:
    def setting(ratio):  # i14-goal's shape: medians of rotated rounds
        return {"rps": {"median": 600.0 * ratio}, "throughput_vs_off": {"median": ratio, "rounds": [ratio]}}

    def steady(ratio):  # i14-metrics: CPU per request at one rate
        return {"rps": {"median": 380.0}, "stack_cpu_per_request_vs_off": {"median": ratio, "rounds": [ratio]},
                "edge_status_cpu_per_request_vs_off": {"median": ratio}}
    operations = {op: {"metrics off, tracing off": setting(1.0), "metrics on, tracing off": setting(metrics),
                       "metrics on, tracing sampled 10 %": setting(traced)}
                  for op in ("consultarEstadoFactura", "enviarFactura")}
    operations["consultarEstadoFactura at a steady rate"] = {
        "metrics off, tracing off": steady(1.0), "metrics on, tracing off": steady(steady_metrics),
        "metrics on, tracing sampled 10 %": steady(steady_traced)}
    return {"commit": "0123abc", "overhead": operations}


def _portal(p95=50.0, ratio=0.3) -> dict:
    page = {"rps": 500.0, "p95_ms": p95, "vs_trivial_rps": ratio}
    return {"commit": "4c3c945", "load_avg_1min": {"start": 2.44, "end": 1.91}, "home": page, "certificates": page,
            "platform_detail": page, "trivial": [{"rps": 1600.0}, {"rps": 1800.0}, {"rps": 1700.0}]}


def _all(**reads) -> dict:
    return {"reads.json": _reads(**reads), "write_path.json": _write_path(), "observability.json": _observability(),
            "portal.json": _portal()}


def test_every_goal_met_exactly_at_its_limit():
    found = rows(_all())
    assert len(found) == len(GOALS) == 18
    assert [r.verdict for r in found] == [MET] * 18


@pytest.mark.parametrize(("row", "documents"), [
    ("consultarEstadoFactura, wrk", {"reads.json": _reads(ratio=0.449)}),
    ("consultarFactura, paced", {"reads.json": _reads(p99=10.01)}),
    ("consultarFactura, paced", {"reads.json": _reads(errors=1)}),
    ("consultarFactura, paced", {"reads.json": _reads(rate=200)}),
    ("consultarGrupoEstadosFactura", {"reads.json": _reads(group=(15.1, 20.0))}),
    ("consultarGrupoEstadosFactura", {"reads.json": _reads(group=(10.0, 30.5))}),
    ("back-office update", {"reads.json": _reads(lag=50.1)}),
    ("projection rebuild", {"reads.json": _reads(rebuild=0.499)}),
    ("new status replica", {"reads.json": _reads(replica=15.1)}),
    ("enviarFactura, signed", {"write_path.json": _write_path(per_s=99.9)}),
    ("enviarFactura, signed", {"write_path.json": _write_path(over_edge=0.249)}),
    ("enviarFactura CPU", {"write_path.json": _write_path(cpu_over_floor=1.51)}),
    ("enviarFactura CPU", {"write_path.json": _write_path(floor=START_STAGE_SUM_MS / 2 + 0.1)}),
    ("edge peak RSS", {"write_path.json": _write_path(rss=2.01)}),
    ("edge peak RSS", {"write_path.json": _write_path(burst=1.51)}),
    ("consultarEstadoFactura throughput, metrics on, tracing off", {"observability.json": _observability(metrics=0.969)}),
    ("enviarFactura throughput, metrics on, tracing sampled", {"observability.json": _observability(traced=0.899)}),
    ("consultarEstadoFactura CPU at a steady rate, metrics on, tracing off",
     {"observability.json": _observability(steady_metrics=1.031)}),
    ("consultarEstadoFactura CPU at a steady rate, metrics on, tracing sampled",
     {"observability.json": _observability(steady_traced=1.101)}),
    ("portal home", {"portal.json": _portal(p95=50.1)}),
    ("portal platform detail", {"portal.json": _portal(ratio=0.299)}),
])
def test_just_past_a_limit_is_not_met(row, documents):
    assert _row(documents, row).verdict == NOT_MET


def test_a_missing_file_or_key_is_not_measured_never_an_error():
    assert {r.verdict for r in rows({})} == {NOT_MEASURED}
    assert "reads.json missing" in _row({}, "consultarFactura").measured
    reads = _reads()
    del reads["paced"]["edge consultarFactura"]["errors"]
    reads["lag"] = "broken"
    reads["rebuild"]["raw_read"] = None
    found = {"reads.json": reads}
    assert _row(found, "consultarFactura").verdict == NOT_MEASURED
    assert "errors not measured" in _row(found, "consultarFactura").measured
    assert _row(found, "back-office").verdict == NOT_MEASURED
    assert _row(found, "projection rebuild").baseline == "raw read not measured"


def test_a_measured_miss_outweighs_a_missing_figure():
    reads = _reads(p99=12.0)
    del reads["paced"]["edge consultarFactura"]["errors"]
    assert _row({"reads.json": reads}, "consultarFactura").verdict == NOT_MET


def test_older_keys_are_found_through_the_rows_alternative_paths():
    write_path = _write_path(cpu_over_floor=2.14)
    del write_path["stack_cpu_over_floor"]
    write_path["stack"]["cpu_over_floor"] = 1.2
    reads = _reads()
    del reads["rebuild"]["rebuild_reader_process_vs_raw_ratio"]
    reads["rebuild"]["rebuild_vs_raw_ratio"] = 0.379
    found = {"write_path.json": write_path, "reads.json": reads}
    assert _row(found, "enviarFactura CPU").verdict == MET
    assert _row(found, "projection rebuild").verdict == NOT_MET


def test_baselines_commit_and_load_come_from_the_same_run():
    found = rows(_all())
    estado, rebuild = found[0], _row(_all(), "projection rebuild")
    assert (estado.baseline.split("; floor")[0], estado.commit, estado.load) == (
        "Flask, same bytes 1,000 req/s; Flask CPU/request 0.44 ms", "abc1234", "0.5 → 2.2")
    assert rebuild.baseline == "raw read 120,000 events/s"  # the median of the raw reads around the rebuilds
    portal = _row(_all(), "portal home")
    assert (portal.baseline, portal.load) == ("trivial page 1,700 req/s", "2.4 → 1.9")
    assert _row(_all(), "enviarFactura CPU").measured.startswith("÷ stage sum 1.5 ×; stage sum ÷ start 0.5 ×")


def test_the_write_paths_floor_stands_beside_its_throughput_row():
    row = _row({"write_path.json": _write_path(per_s=58.5)}, "enviarFactura, signed")
    assert row.measured == "stack 58.5 /s; ÷ edge-only 0.25 ×; cores busy 1.72"
    assert row.baseline == ("edge-only 340 /s; floor: stages alone, a process per core 71.4 /s; CPU ceiling: cores ÷ "
                            "stage sum 102 /s; cores ÷ stack CPU 67.8 /s")
    older = _write_path()
    del older["stages_ceiling"], older["cpu_ceilings"]
    assert _row({"write_path.json": older}, "enviarFactura, signed").baseline.endswith(
        "floor: stages alone, a process per core not measured; CPU ceiling: cores ÷ stage sum not measured; "
        "cores ÷ stack CPU not measured")


def test_the_floor_of_one_bare_grpc_call_per_request_stands_beside_both_read_rows():
    estado, paced = _row(_all(), "consultarEstadoFactura, wrk"), _row(_all(), "consultarFactura, paced")
    assert estado.baseline.endswith("; floor (one bare gRPC call per request): 0.4 × Flask; edge ÷ floor 1.12 ×; "
                                    "floor edge CPU/request 0.9 ms; floor status CPU/request 0.25 ms")
    assert paced.baseline == ("Flask p99 1.5 ms; Flask CPU/request not measured; floor (one bare gRPC call per "
                              "request): p99 4.2 ms; its errors 0; floor edge CPU/request 1.1 ms; floor status "
                              "CPU/request 0.3 ms; edge + status CPU ÷ floor's 1.6 ×")
    reads = _reads()
    del reads["estado"][FLOOR], reads["paced"][FLOOR]  # a run of a commit before the floor: shown as not measured
    assert "floor (one bare gRPC call per request): not measured" in _row({"reads.json": reads}, "consultarEsta").baseline
    assert _row({"reads.json": reads}, "consultarFactura").verdict == MET  # the floor is shown, never judged


def test_main_writes_goals_md_from_the_json_files_of_a_directory(tmp_path, capsys):
    (tmp_path / "reads.json").write_text(json.dumps(_reads(ratio=0.3)))
    (tmp_path / "portal.json").write_text("{ not json")
    assert goal_rows.main([str(tmp_path)]) == 0
    text = (tmp_path / "goals.md").read_text()
    assert text == capsys.readouterr().out.rstrip("\n") + "\n"
    lines = [line for line in text.splitlines() if line.startswith("| 15 | consultarEstadoFactura")]
    assert lines == ["| 15 | consultarEstadoFactura, wrk -c8, ingress mode | ÷ Flask 0.3 ×; edge 450 req/s; edge "
                     "CPU/request 0.8 ms; status CPU/request 0.3 ms; queries per GetStateBatch call 1.8; with the "
                     "former 1 ms state batch linger ÷ Flask not measured; its queries per call not measured | Flask, "
                     "same bytes 1,000 req/s; Flask CPU/request 0.44 ms; floor (one bare gRPC call per request): 0.4 × "
                     "Flask; edge ÷ floor 1.12 ×; floor edge CPU/request 0.9 ms; floor status CPU/request 0.25 ms | "
                     "≥ 0.45 × Flask | **no** | abc1234 | 0.5 → 2.2 |"]
    assert "- `portal.json`: missing" in text and "- `write_path.json`: missing" in text


def test_json_left_by_an_earlier_run_is_marked(tmp_path, capsys):
    earlier, now = {**_reads(), "started": "2026-12-06T15:36:28Z"}, {**_portal(), "started": "2026-12-06T17:00:05Z"}
    found = rows({"reads.json": earlier, "portal.json": now}, since="2026-12-06T17:00:00Z")
    assert found[0].commit == "abc1234 (earlier run)"
    assert _row({"portal.json": now}, "portal home").commit == "4c3c945"
    assert rows({"reads.json": earlier})[0].commit == "abc1234"  # no --since: nothing to compare with
    (tmp_path / "reads.json").write_text(json.dumps(earlier))
    goal_rows.main([str(tmp_path), "--since", "2026-12-06T17:00:00Z"])
    assert "(before this run, 2026-12-06T17:00:00Z)" in (tmp_path / "goals.md").read_text()


def test_each_source_names_its_command_and_the_machine_it_ran_on(tmp_path, capsys):
    reads = {**_reads(), "command": "python tests/benchmarks/bench_reads.py", "machine": {
        "nproc": 2, "cpu": "AMD EPYC 7B13", "ram_gib": 7.8, "loadavg_at_start": ["0.50", "1", "1"]}}
    write_path = {**_write_path(), "command": "bench_write_path.py",
                  "machine": "2 cores (nproc), AMD EPYC 7B13, 8 GiB RAM, Python 3.11.2, load average at start 2.4"}
    (tmp_path / "reads.json").write_text(json.dumps(reads))
    (tmp_path / "write_path.json").write_text(json.dumps(write_path))
    goal_rows.main([str(tmp_path)])
    sources = {line.split("`")[1]: line for line in capsys.readouterr().out.splitlines() if line.startswith("- `")}
    assert "`python tests/benchmarks/bench_reads.py`" in sources["reads.json"]
    assert "machine 2 cores, AMD EPYC 7B13, load 0.5 → 2.2" in sources["reads.json"]
    assert "machine 2 cores (nproc), AMD EPYC 7B13, 8 GiB RAM, Python 3.11.2, load 2.4 → 2.6" in sources["write_path.json"]

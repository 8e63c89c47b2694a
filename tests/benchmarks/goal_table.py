"""The goal rows of issues 15, 14 and 11: for each, the JSON file of var/bench/ and the keys its figures sit under.

A key path is a tuple of dict keys and list indexes ("*": every element, then their median); a figure lists the
paths to try in order, so that a renamed key is one more path here. Each row is one small table: adjust its keys
here when a benchmark script's JSON changes."""
from __future__ import annotations

from dataclasses import dataclass

Path_ = tuple  # ("estado", "trivial Flask, same bytes", "rps")


@dataclass(frozen=True)
class Figure:
    """One figure of a row: where to find it, and the goal it must meet (`op` "<=" or ">="; "" only shows it)."""

    label: str
    paths: tuple[Path_, ...]
    op: str = ""
    limit: float = 0.0
    unit: str = ""
    scale: float = 1.0  # the found value is divided by this (a ratio to a fixed start)


@dataclass(frozen=True)
class Goal:
    """One row: the issue, the path measured, the JSON file, its figures (all must meet their goal) and baseline."""

    issue: int
    path: str
    source: str
    goal: str
    figures: tuple[Figure, ...]
    baseline: tuple[Figure, ...] = ()


START_STAGE_SUM_MS = 84.9  # the registry's stage sum when issue 15 started (docs/benchmarks.md)
OFF, METRICS, TRACED = "metrics off, tracing off", "metrics on, tracing off", "metrics on, tracing sampled 10 %"


def _overhead(operation: str, setting: str, least: float, goal: str) -> Goal:
    """Issue 14: one observability setting's throughput against metrics off, same rounds."""
    at = ("overhead", operation, setting)
    return Goal(14, f"{operation} throughput, {setting}", "observability.json", goal, (
        Figure("throughput ÷ off", (at + ("throughput_vs_off",),), ">=", least, "×"),
        Figure("CPU/request ÷ off", (at + ("stack_cpu_per_request_vs_off",), at + ("edge_cpu_per_request_vs_off",)),
               unit="×")),
        (Figure("metrics off", (("overhead", operation, OFF, "rps"),), unit="req/s"),))


def _overhead_steady(setting: str, most: float, goal: str) -> Goal:
    """Issue 14: one setting's CPU per state query against metrics off, every stack at the same steady rate."""
    at = ("overhead", "consultarEstadoFactura at a steady rate", setting)
    return Goal(14, f"consultarEstadoFactura CPU at a steady rate, {setting}", "observability.json", goal, (
        Figure("stack CPU/request ÷ off", (at + ("stack_cpu_per_request_vs_off",),), "<=", most, "×"),
        Figure("edge + status ÷ off", (at + ("edge_status_cpu_per_request_vs_off",),), unit="×")),
        (Figure("metrics off", (("overhead", "consultarEstadoFactura at a steady rate", OFF, "rps"),),
                unit="req/s"),))


def _portal(page: str, key: str) -> Goal:
    """Issue 11: one portal page under 8 users against the trivial page of the same run."""
    return Goal(11, f"portal {page}, 8 users", "portal.json", "p95 ≤ 50 ms and ≥ 0.3 × the trivial page", (
        Figure("p95", ((key, "p95_ms"),), "<=", 50, "ms"),
        Figure("÷ trivial", ((key, "vs_trivial_rps"),), ">=", 0.3, "×"),
        Figure("req/s", ((key, "rps"),))),
        (Figure("trivial page", (("trivial", "*", "rps"),), unit="req/s"),))


_ESTADO, _FLASK = ("estado", "edge consultarEstadoFactura"), ("estado", "trivial Flask, same bytes")
_LINGER_1 = ("estado", "edge (state batch linger 1 ms) consultarEstadoFactura")  # bench_reads.py's ESTADO_VARIANTS
_PACED, _PACED_FLASK = ("paced", "edge consultarFactura"), ("paced", "trivial Flask, same bytes")
_FLOOR = "floor (one bare gRPC call per request)"  # reads.FLOOR: the floor edge and its bare status, same rounds
_REPLICA = ("rebuild", "new_status_replica_from_snapshot")

GOALS: tuple[Goal, ...] = (
    Goal(15, "consultarEstadoFactura, wrk -c8, ingress mode", "reads.json", "≥ 0.45 × Flask", (
        Figure("÷ Flask", (_ESTADO + ("ratio_to_flask",),), ">=", 0.45, "×"),
        Figure("edge", (_ESTADO + ("rps",),), unit="req/s"),
        Figure("edge CPU/request", (_ESTADO + ("server_cpu_ms_per_request",),), unit="ms"),
        Figure("status CPU/request", (_ESTADO + ("status_cpu_ms_per_request",),), unit="ms"),
        Figure("queries per GetStateBatch call", (_ESTADO + ("state_batches", "mean_queries_per_call"),)),
        Figure("with the former 1 ms state batch linger ÷ Flask", (_LINGER_1 + ("ratio_to_flask",),), unit="×"),
        Figure("its queries per call", (_LINGER_1 + ("state_batches", "mean_queries_per_call"),))),
        (Figure("Flask, same bytes", (_FLASK + ("rps",),), unit="req/s"),
         Figure("Flask CPU/request", (_FLASK + ("server_cpu_ms_per_request",),), unit="ms"),
         Figure(f"{_FLOOR}:", (("estado", _FLOOR, "ratio_to_flask"),), unit="× Flask"),
         Figure("edge ÷ floor", (_ESTADO + ("ratio_to_floor",),), unit="×"),
         Figure("floor edge CPU/request", (("estado", _FLOOR, "server_cpu_ms_per_request"),), unit="ms"),
         Figure("floor status CPU/request", (("estado", _FLOOR, "status_cpu_ms_per_request"),), unit="ms"))),
    Goal(15, "consultarFactura, paced, open loop", "reads.json", "p99 ≤ 10 ms at 500 req/s, 0 errors", (
        Figure("p99", (_PACED + ("p99_ms",),), "<=", 10, "ms"),
        Figure("errors", (_PACED + ("errors",),), "<=", 0),
        Figure("rate", (_PACED + ("rate_per_s",),), ">=", 500, "req/s"),
        Figure("edge CPU/request", (_PACED + ("edge_cpu_ms_per_request",),), unit="ms"),
        Figure("status CPU/request", (_PACED + ("status_cpu_ms_per_request",),), unit="ms")),
        (Figure("Flask p99", (_PACED_FLASK + ("p99_ms",),), unit="ms"),
         Figure("Flask CPU/request", (_PACED_FLASK + ("edge_cpu_ms_per_request",),), unit="ms"),
         Figure(f"{_FLOOR}: p99", (("paced", _FLOOR, "p99_ms"),), unit="ms"),
         Figure("its errors", (("paced", _FLOOR, "errors"),)),
         Figure("floor edge CPU/request", (("paced", _FLOOR, "edge_cpu_ms_per_request"),), unit="ms"),
         Figure("floor status CPU/request", (("paced", _FLOOR, "status_cpu_ms_per_request"),), unit="ms"),
         Figure("edge + status CPU ÷ floor's", (_PACED + ("cpu_ratio_to_floor",),), unit="×"))),
    Goal(15, "enviarFactura, signed ~100 KB MTOM, 8 clients", "write_path.json", "≥ 100 /s and ≥ 0.25 × edge-only", (
        Figure("stack", (("stack", "per_s"),), ">=", 100, "/s"),
        Figure("÷ edge-only", (("stack_over_edge_only",), ("stack", "over_edge_only")), ">=", 0.25, "×"),
        Figure("cores busy", (("stack", "busy_cores"),))),
        (Figure("edge-only", (("edge_only", "per_s"),), unit="/s"),
         Figure("floor: stages alone, a process per core", (("stages_ceiling", "per_s"),), unit="/s"),
         Figure("CPU ceiling: cores ÷ stage sum", (("cpu_ceilings", "stage_sum_per_s"),), unit="/s"),
         Figure("cores ÷ stack CPU", (("cpu_ceilings", "whole_stack_per_s"),), unit="/s"))),
    Goal(15, "enviarFactura CPU per invoice, whole stack ÷ stage sum", "write_path.json",
         f"≤ 1.5 ×, stage sum ≤ 0.5 × its {START_STAGE_SUM_MS} ms start", (
             Figure("÷ stage sum", (("stack_cpu_over_floor",), ("stack", "cpu_over_floor")), "<=", 1.5, "×"),
             Figure("stage sum ÷ start", (("floor_cpu_ms",),), "<=", 0.5, "×", START_STAGE_SUM_MS),
             Figure("stack", (("stack", "cpu_ms_per_invoice"),), unit="ms")),
         (Figure("stage sum", (("floor_cpu_ms",),), unit="ms"),)),
    Goal(15, "consultarGrupoEstadosFactura, 500 ids", "reads.json", "p50 ≤ 15 ms, p99 ≤ 30 ms", (
        Figure("p50", (("group", "edge", "p50_ms"),), "<=", 15, "ms"),
        Figure("p99", (("group", "edge", "p99_ms"),), "<=", 30, "ms")),
        (Figure("Flask p50", (("group", "trivial Flask, same bytes", "p50_ms"),), unit="ms"),)),
    Goal(15, "back-office update → visible through SOAP", "reads.json", "p99 ≤ 50 ms from the acknowledgement", (
        Figure("p99", (("lag", "p99_ms"),), "<=", 50, "ms"),
        Figure("p50", (("lag", "p50_ms"),), unit="ms"),
        Figure("status CPU/update (with the estado polls watching it)", (("lag", "status_cpu_ms_per_update_and_its_polls"),), unit="ms"))),
    Goal(15, "projection rebuild ÷ raw kafka-python read", "reads.json", "≥ 0.5 ×", (
        Figure("÷ raw", (("rebuild", "rebuild_reader_process_vs_raw_ratio"), ("rebuild", "rebuild_vs_raw_ratio")),
               ">=", 0.5, "×"),
        Figure("events", (("rebuild", "events"),))),
        (Figure("raw read", (("rebuild", "raw_read", "*", "events_per_s"),), unit="events/s"),)),
    Goal(15, "edge peak RSS, 20 concurrent 8 MB MTOM uploads", "write_path.json",
         "≤ 2 × payload per request in flight; burst ≤ 1.5 × its CPU floor (no serialization)", (
             Figure("RSS ÷ payload in flight", (("large_uploads", "per_request_in_flight_over_payload"),), "<=", 2, "×"),
             Figure("burst ÷ CPU floor", (("large_uploads", "burst_over_cpu_floor"),), "<=", 1.5, "×")),
         (Figure("payload", (("large_uploads", "body_mb"),), unit="MB"),)),
    Goal(15, "new status replica catching up (snapshot + tail)", "reads.json", "≤ 15 s on 1 M events", (
        Figure("to ready", (_REPLICA + ("seconds_to_ready",),), "<=", 15, "s"),
        Figure("events", (("rebuild", "events"),))),
        (Figure("full replay", (("rebuild", "new_status_replica", "seconds_to_ready"),), unit="s"),)),
    _overhead("consultarEstadoFactura", METRICS, 0.97, "overhead ≤ 3 % (≥ 0.97 ×)"),
    _overhead("consultarEstadoFactura", TRACED, 0.90, "overhead ≤ 10 % (≥ 0.90 ×)"),
    _overhead_steady(METRICS, 1.03, "overhead ≤ 3 % (CPU ≤ 1.03 ×)"),
    _overhead_steady(TRACED, 1.10, "overhead ≤ 10 % (CPU ≤ 1.10 ×)"),
    _overhead("enviarFactura", METRICS, 0.97, "overhead ≤ 3 % (≥ 0.97 ×)"),
    _overhead("enviarFactura", TRACED, 0.90, "overhead ≤ 10 % (≥ 0.90 ×)"),
    _portal("home", "home"),
    _portal("certificates list", "certificates"),
    _portal("platform detail", "platform_detail"),
)

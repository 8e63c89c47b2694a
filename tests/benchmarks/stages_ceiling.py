"""The write path's floor: the registry's stages alone, back to back, in a process per core under closed-loop workers.

Every invoice of any stack of this design goes through these stages (registry_stages.back_to_back: exactly the calls
whose CPU makes the stage sum), so their invoices/s here, with nothing else to do, is what no stack can exceed."""
from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Callable, NamedTuple

from tests.benchmarks.closed_loop import timed_clients

WARM_PER_THREAD = 2


class Trust(NamedTuple):
    """What the stages read of the signing PKI (its certificates' keys stay in the parent)."""

    trust_store: Path
    crls: Path


def _tickets(counter, total: int):
    """Invoice numbers 0..total-1 drawn from a counter shared by every process (one closed loop across them)."""
    while True:
        with counter.get_lock():
            ticket = counter.value
            counter.value += 1
        if ticket >= total:
            return
        yield ticket


def _worker(facturae: bytes, trust: Trust, env: dict[str, str], threads: int, total: int, counter, start, results):
    """One process: its stages built once and shared by its threads (as the registry's), warmed, then the loop."""
    from tests.benchmarks.registry_stages import back_to_back

    invoice, close = back_to_back(facturae, trust, env)
    try:
        for i in range(WARM_PER_THREAD * threads):
            invoice(-1 - i)
        start.wait()

        def sender():
            def send(ticket: int) -> float:
                began = time.perf_counter()
                invoice(ticket)
                return (time.perf_counter() - began) * 1000
            return send

        began, cpu = time.monotonic(), time.process_time()  # CLOCK_MONOTONIC: one clock for every process
        latencies, wall = timed_clients(_tickets(counter, total), threads, sender)
        results.put({"latencies": latencies, "began": began, "ended": began + wall,
                     "cpu_s": time.process_time() - cpu})
    finally:
        close()


def stages_ceiling(facturae: bytes, pki, env: dict[str, str], processes: int, workers: int, total: int,
                   meter: Callable[[], dict[str, float]] = dict) -> dict:
    """`processes` spawned processes, `workers` threads in all, each running invoice after invoice through the stages
    until `total` are done: invoices/s, latency, the processes' CPU per invoice, and what meter() (CPU seconds by
    name, e.g. the idle stack's broker that answers the appends) counted over the same window, per invoice."""
    from tests.benchmarks.bench_registry import p99

    cores = os.cpu_count()
    spawn = multiprocessing.get_context("spawn")
    counter, start, results = spawn.Value("l", 0), spawn.Barrier(processes + 1), spawn.Queue()
    threads = [workers // processes + (1 if n < workers % processes else 0) for n in range(processes)]
    children = [spawn.Process(target=_worker, args=(facturae, Trust(pki.trust_store, pki.crls), env, count, total,
                                                    counter, start, results)) for count in threads]
    for child in children:
        child.start()
    try:
        start.wait(timeout=300)
        before = meter()
        found = [results.get(timeout=600) for _ in children]
        after = meter()
    finally:
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.terminate()
    latencies = sorted(x for one in found for x in one["latencies"])
    wall = max(one["ended"] for one in found) - min(one["began"] for one in found)
    done, cpu = len(latencies), sum(one["cpu_s"] for one in found)
    others = {name: (after.get(name, 0.0) - before_cpu) * 1000 / done for name, before_cpu in before.items()}
    return {"processes": processes, "threads_per_process": threads, "invoices": done, "seconds": round(wall, 2),
            "per_s": round(done / wall, 1), "p50_ms": round(latencies[done // 2], 1), "p99_ms": round(p99(latencies), 1),
            "invoices_by_process": [len(one["latencies"]) for one in found],
            "cpu_ms_per_invoice": round(cpu * 1000 / done, 2), "busy_cores": round(cpu / wall, 2),
            "other_cpu_ms_per_invoice_by_process": {name: round(ms, 2) for name, ms in sorted(others.items())},
            # the cores' time per invoice that neither the stages nor meter()'s processes used: idle, or other work
            "idle_or_host_core_ms_per_invoice": round(cores * wall * 1000 / done - cpu * 1000 / done
                                                      - sum(others.values()), 2)}

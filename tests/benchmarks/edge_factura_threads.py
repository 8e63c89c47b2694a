"""consultarFactura at 500/s on the edge and on the floor edge of one stack, each server's CPU per request by thread:
`python tests/benchmarks/edge_factura_threads.py [--rounds R] [--seconds S] [--before REV] [--py-spy DIR]`.

One private stack; this checkout's edge (and with --before the edge of another commit), and the floor
(reads._floor_with: floor_edge.py making one bare GetInvoice per request, behind it bare grpcio). Each round runs
every target in turn (the order alternating) at reads.RATE requests/s, open loop, for S seconds, and reads
/proc/<pid>/task/*/stat of every process of each server before and after: CPU per request answered by thread kind
(each worker's main thread, gunicorn's request threads, grpc's own threads by name, the rest), and the status
service's CPU per request; medians over the rounds. --perf DIR: in the last round, `perf record -F 999 -g` of
each server's workers during its run (DIR/<target>.data). --py-spy DIR: in the last round, `py-spy record` (raw
collapsed stacks of the threads holding the GIL, 500 Hz, not pausing the process) of each server's first worker during its run, one file per target in DIR."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks import reads, requests_  # noqa: E402
from tests.benchmarks.benchstack import export_tree, extra_server, running_stack  # noqa: E402
from tests.benchmarks.paced import paced_load  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
EXTRA = ("system (kernel) CPU, all threads", "context switches per request, all threads")  # not added to the CPU


def _processes(pid: int) -> list[int]:
    """pid and its descendants alive now."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            pending += [int(c) for t in Path(f"/proc/{current}/task").iterdir()
                        for c in (t / "children").read_text().split()]
        except FileNotFoundError:
            continue
        found.append(current)
    return found


def _kind(pid: int, tid: int, comm: str) -> str:
    """A thread's kind: the process's main thread, a Python thread, or a grpc/other thread by its name."""
    if tid == pid:
        return "main (event loop)"
    if comm.startswith("python") or comm.startswith("ventanilla"):
        return "other Python threads (request threads)"
    return comm.rstrip("0123456789-_ ") or comm


def thread_cpu(pid: int) -> dict[tuple[int, int], tuple[str, float]]:
    """(process, thread) -> (kind, CPU seconds) of every thread of pid and its descendants."""
    found = {}
    for process in _processes(pid):
        for task in Path(f"/proc/{process}/task").glob("*"):
            try:
                stat = (task / "stat").read_text()
            except FileNotFoundError:
                continue
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat.rsplit(")", 1)[1].split()
            kind = _kind(process, int(task.name), comm)
            found[process, int(task.name)] = (kind, (int(fields[11]) + int(fields[12])) / TICK)
            found[process, int(task.name), "system"] = ("system (kernel) CPU, all threads", int(fields[12]) / TICK)
            try:
                switches = sum(int(line.split()[1]) for line in (task / "status").read_text().splitlines()
                               if "ctxt_switches:" in line)
            except FileNotFoundError:
                switches = 0
            found[process, int(task.name), "switches"] = ("context switches per request, all threads", switches / 1000)
    return found


def by_kind(before: dict, after: dict, requests: int) -> dict[str, float]:
    """CPU ms per request by thread kind between two thread_cpu readings (threads born meanwhile from 0)."""
    totals: dict[str, float] = defaultdict(float)
    for key, (kind, seconds) in after.items():
        totals[kind] += seconds - before.get(key, (kind, 0.0))[1]
    return {kind: round(ms * 1000 / requests, 3) for kind, ms in sorted(totals.items()) if ms}


def _workers(pid: int) -> list[int]:
    return [p for p in _processes(pid) if p != pid]


def main(argv: list[str]) -> int:
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    seconds = float(argv[argv.index("--seconds") + 1]) if "--seconds" in argv else 10.0
    rev = argv[argv.index("--before") + 1] if "--before" in argv else None
    spy = Path(argv[argv.index("--py-spy") + 1]) if "--py-spy" in argv else None
    perf = Path(argv[argv.index("--perf") + 1]) if "--perf" in argv else None
    with running_stack() as stack, tempfile.TemporaryDirectory(prefix="edge-threads-") as tmp:
        started: list = []
        targets: dict[str, tuple[str, int]] = {}
        with extra_server(stack, "soap_edge", started=started) as edge:
            targets["edge"] = (edge, started[-1].pid)
            ctx = None
            if rev:
                tree = export_tree(rev, Path(tmp) / "before")
                ctx = extra_server(stack, "soap_edge", cwd=tree, started=started,
                                   env={"PYTHONPATH": f"{tree / 'services' / 'soap-edge'}:{tree}"})
                targets["edge (before)"] = (ctx.__enter__(), started[-1].pid)
            invoice_id = requests_.register_one(stack.soap_url, stack.client.ssl_context)
            request, headers = requests_.factura(invoice_id), stack.client.ingress_headers
            answer = reads._answer(edge, request, headers)
            status = reads._service_pid(stack, "status_service")
            with reads._floor_with(stack, Path(tmp), "factura", answer, "GetInvoice", invoice_id) as (floor, pid, fs):
                targets[reads.FLOOR] = (floor, pid)
                statuses = {reads.FLOOR: fs}
                found: dict[str, list[dict]] = {name: [] for name in targets}
                for round_ in range(rounds):
                    for name, (url, server) in reads.alternating(list(targets.items()), round_):
                        status_pid = statuses.get(name, status)
                        recorder = None
                        if spy is not None and round_ == rounds - 1:
                            spy.mkdir(parents=True, exist_ok=True)
                            out = spy / f"{name.split(' (')[0].replace(' ', '-')}{'-before' if 'before' in name else ''}.txt"
                            recorder = subprocess.Popen(
                                [str(Path(sys.executable).parent / "py-spy"), "record", "-r", "500", "--nonblocking", "-d",
                                 str(int(seconds)), "-f", "raw", "-o", str(out), "--threads", "--gil", "--pid",
                                 str(_workers(server)[0])], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                        if perf is not None and round_ == rounds - 1:
                            perf.mkdir(parents=True, exist_ok=True)
                            name_ = name.split(" (")[0].replace(" ", "-") + ("-before" if "before" in name else "")
                            recorder = subprocess.Popen(
                                ["perf", "record", "-F", "999", "-g", "-o", str(perf / f"{name_}.data"), "-p",
                                 ",".join(map(str, _workers(server))), "--", "sleep", str(seconds)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                        load = os.getloadavg()[0]
                        edge_before, status_before = thread_cpu(server), thread_cpu(status_pid)
                        run = paced_load(url, request, reads.RATE, seconds, headers=headers)
                        n = max(1, run["requests"])
                        threads = by_kind(edge_before, thread_cpu(server), n)
                        status_cpu = sum(v for k, v in by_kind(status_before, thread_cpu(status_pid), n).items()
                                         if k not in EXTRA)
                        if recorder is not None:
                            recorder.wait()
                        found[name].append({"p50_ms": run["p50_ms"], "p99_ms": run["p99_ms"],
                                            "errors": run["errors"], "threads": threads,
                                            "edge_cpu_ms": round(sum(v for k, v in threads.items()
                                                                     if k not in EXTRA), 3),
                                            "status_cpu_ms": round(status_cpu, 3),
                                            "loadavg": [round(load, 1), round(os.getloadavg()[0], 1)]})
                        print(name, json.dumps(found[name][-1]), file=sys.stderr, flush=True)
            if ctx is not None:
                ctx.__exit__(None, None, None)
    summary = {}
    for name, runs in found.items():
        kinds = sorted({k for r in runs for k in r["threads"]})
        summary[name] = {"edge_cpu_ms": statistics.median(r["edge_cpu_ms"] for r in runs),
                         "status_cpu_ms": statistics.median(r["status_cpu_ms"] for r in runs),
                         "p99_ms": [r["p99_ms"] for r in runs], "errors": sum(r["errors"] for r in runs),
                         "threads": {k: statistics.median(r["threads"].get(k, 0.0) for r in runs) for k in kinds}}
    print(json.dumps({"rounds": rounds, "seconds": seconds, "summary": summary, "runs": found}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

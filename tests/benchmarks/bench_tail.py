"""Where consultarFactura's p99 at a paced rate goes, and what each process setting changes: issue 15.

`python tests/benchmarks/bench_tail.py [--variants NAME=VAR:VALUE+VAR:VALUE,...] [--rounds R] [--seconds S]
[--rate N] [--before REV] [--stalls] [--quick]` (also run by `make bench`; --quick: 2 rounds of 4 s).
One private stack; per variant, its own status replica (`tests.benchmarks.status_stages`, reading the stack's log and
blobs) and its own edge in ingress mode (`tests.benchmarks.edge_stages`) started with the variant's environment;
consultarFactura at N requests/s (500) open loop against each pair in turn, the order alternating, R rounds (4) of S
seconds (10). --before REV adds a pair of REV's code (edge and status, `git archive`) with its own defaults.
--stalls also loads `tests/benchmarks/stalls` (garbage collections and a heartbeat thread's lateness per process).
--before-first starts REV's pair first (and runs it first in the first round).
--threads adds each round's status CPU per request by thread group (thread_cpu.py: grpc's poller, its pools, Kafka's
threads, ...), `status_threads_ms_per_request`.
Each pair's raw timestamps stay in var/bench/tail-stages/<n>/.
Every request is timed at each stage (client, edge loop, edge thread, status call, status handler), joined by
sequence number and request id: the decomposition of all requests and of the slowest 1 %. Prints JSON and writes
var/bench/tail.json."""
from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks import requests_, thread_cpu  # noqa: E402
from tests.benchmarks.bench_soap_edge import machine, publish  # noqa: E402
from tests.benchmarks.benchstack import (  # noqa: E402
    BenchStack, cpu_seconds, export_tree, extra_server, running_stack, stop)
from tests.benchmarks.loadgen import _percentile  # noqa: E402
from tests.benchmarks.paced import paced_load  # noqa: E402
from tests.benchmarks.reads import _answer  # noqa: E402
from tests.e2e import soap  # noqa: E402
from tests.support.stack_env import free_ports  # noqa: E402

OUT = ROOT / "var" / "bench" / "tail.json"
# Python's own defaults against the ones ventanilla.config now sets (docs/benchmarks.md, "The tail of
# consultarFactura at 500 requests/s").
VARIANTS = {"python defaults": {"VENTANILLA_SWITCH_INTERVAL_MS": "5", "VENTANILLA_GC_FREEZE": "0",
                                "VENTANILLA_GC_FULL_THRESHOLD": "10"},
            "configured": {}}
STAGES = (  # (name, from, to): consecutive timestamps of one request
    ("client: late to send", "scheduled", "sent"),
    ("to the edge's loop", "sent", "readable"),
    ("edge: waiting for a thread", "readable", "thread"),
    ("edge: head to status call", "thread", "grpc"),
    ("hop + status queue", "grpc", "handler"),
    ("status handler", "handler", "handler_end"),
    ("hop back", "handler_end", "grpc_end"),
    ("edge: answer written", "grpc_end", "done"),
    ("back to the client", "done", "client_done"),
)


def _variants(argv: list[str]) -> dict[str, dict[str, str]]:
    if "--variants" not in argv:
        return dict(VARIANTS)
    found = {}
    for spec in argv[argv.index("--variants") + 1].split(","):
        name, _, settings = spec.partition("=")
        found[name] = dict(pair.split(":", 1) for pair in settings.split("+") if pair)
    return found


def _option(argv: list[str], name: str, default: float) -> float:
    return float(argv[argv.index(name) + 1]) if name in argv else default


@contextmanager
def status_replica(stack: BenchStack, env: dict[str, str], state: Path, cwd: Path = ROOT):
    """A second status service on free ports, reading the stack's log and blobs into its own projection; its
    address once it answers (the edge pointed at it polls consultarFactura until then)."""
    status, backoffice = free_ports(2)
    full = {**stack.env, **env, "VENTANILLA_STATE_DIR": str(state),
            "VENTANILLA_BLOB_DIR": str(stack.settings.blobs.directory),
            "VENTANILLA_STATUS_ADDRESS": f"127.0.0.1:{status}", "VENTANILLA_BACKOFFICE_ADDRESS": f"127.0.0.1:{backoffice}",
            "VENTANILLA_STATUS_METRICS_ADDRESS": "off",
            "VENTANILLA_BACKOFFICE_GROUP": f"bench-tail-{status}", "VENTANILLA_NOTICES_GROUP": f"bench-tail-n-{status}"}
    process = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.status_stages"], env=full, cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"127.0.0.1:{status}", process.pid
    finally:
        stop(process)


def _records(directory: Path, prefix: str) -> list[dict]:
    found = []
    for path in directory.glob(f"{prefix}-*.jsonl"):
        found += [{**json.loads(line), f"{prefix}_process": path.stem}
                  for line in path.read_text().splitlines() if line.strip()]
    return found


def _joined(trace: list, stages: Path) -> list[dict]:
    """The client's trace joined with the edge's stages (by sequence number) and the status handler's (request id)."""
    began, ended = min(t[1] for t in trace) - 0.1, max(t[3] for t in trace) + 1  # this round's, not the last one's
    edge = {int(r["seq"]): r for r in _records(stages, "edge")
            if r.get("seq") is not None and began <= r["thread"] <= ended}
    status = {r["rid"]: r for r in _records(stages, "status") if r.get("rid")}
    rows = []
    for n, scheduled, sent, done in trace:
        row = {"scheduled": scheduled, "sent": sent, "client_done": done, **edge.get(n, {})}
        row.update(status.get(row.get("rid"), {}))
        rows.append(row)
    return rows


def stalls(directory: Path, began: float, ended: float) -> dict:
    """Per process of the pair (--stalls): its garbage collections by generation (count, total and longest ms) and
    its heartbeat's lateness (ticks later than 2 and 5 ms, the latest), between two wall-clock times."""
    found = {}
    for path in directory.glob("*.jsonl"):
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        label = next((line[2] for line in lines if line[0] == "process"), "?")
        role = "status" if "status_stages" in label else "edge worker" if "edge_stages" in label else None
        inside = [line for line in lines if line[0] != "process" and began <= line[1] <= ended]
        if role is None or not inside:
            continue
        gcs: dict = {}
        for _, _, generation, _, _, cpu_s in (line for line in inside if line[0] == "gc"):
            gcs.setdefault(f"gen{generation}", []).append(cpu_s * 1000)
        late = [line[2] * 1000 for line in inside if line[0] == "late"]
        found[f"{role} {path.stem}"] = {
            "gc (n, total CPU ms, max CPU ms)": {g: [len(v), round(sum(v), 1), round(max(v), 1)] for g, v in sorted(gcs.items())},
            "heartbeat late >2 ms, >5 ms, max ms": [sum(x > 2 for x in late), sum(x > 5 for x in late),
                                                    round(max(late, default=0), 1)]}
    return found


def in_flight(rows: list[dict]) -> dict:
    """Per edge worker, how many of its other status calls were in flight when each call began: what one in-flight
    call at a time per worker (a coalescer, as consultarEstadoFactura's) would have queued behind it; mean, p99, max."""
    counts = []
    for worker in {r.get("edge_process") for r in rows if r.get("grpc") is not None}:
        calls = sorted((r["grpc"], r["grpc_end"]) for r in rows
                       if r.get("edge_process") == worker and r.get("grpc") is not None and r.get("grpc_end") is not None)
        ends: list[float] = []
        for began, ended in calls:
            ends = [e for e in ends if e > began]
            counts.append(len(ends))
            ends.append(ended)
    counts.sort()
    return {"n": len(counts), "mean": round(statistics.fmean(counts), 2) if counts else None,
            "p99": _percentile(counts, 99) if counts else None, "max": counts[-1] if counts else None}


def decomposition(rows: list[dict]) -> dict:
    """Per stage, the mean over all requests and over the slowest 1 % (ms); and the p50/p99 of the whole."""
    total = sorted(rows, key=lambda r: r["client_done"] - r["scheduled"])
    tail = total[-max(1, len(total) // 100):]

    def mean(of: list[dict], start: str, end: str) -> float | None:
        spans = [r[end] - r[start] for r in of if r.get(start) is not None and r.get(end) is not None]
        return round(statistics.fmean(spans) * 1000, 2) if spans else None

    latencies = [r["client_done"] - r["scheduled"] for r in total]
    complete = sum(1 for r in rows if all(r.get(k) is not None for _, k, _ in STAGES))
    return {"requests": len(rows), "joined": complete,
            "p50_ms": round(_percentile(latencies, 50) * 1000, 2), "p99_ms": round(_percentile(latencies, 99) * 1000, 2),
            "stages_ms (all: mean, slowest 1 %: mean)": {name: [mean(total, a, b), mean(tail, a, b)]
                                                         for name, a, b in STAGES},
            "in_flight_at_call_start": in_flight(rows)}


def main(argv: list[str]) -> int:
    """Run the variants, alternated, and print each one's rounds and the median decomposition."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))  # stop the stack on the way out
    quick = "--quick" in argv
    rounds = int(_option(argv, "--rounds", 2 if quick else 4))
    seconds, rate = _option(argv, "--seconds", 4 if quick else 10), _option(argv, "--rate", 500)
    variants, rev = _variants(argv), (argv[argv.index("--before") + 1] if "--before" in argv else None)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    results = {"machine": machine(), "commit": commit.strip(), "before": rev,
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "command": "python tests/benchmarks/bench_tail.py " + " ".join(argv),
               "load": f"consultarFactura at {rate:g}/s for {seconds:g} s, open loop, {rounds} alternated rounds",
               "variants": variants, "loadavg": [round(os.getloadavg()[0], 2)]}
    with tempfile.TemporaryDirectory(prefix="bench-tail-") as tmp, running_stack() as stack, ExitStack() as pairs:
        extra = {"PYTHONPATH": str(ROOT / "tests" / "benchmarks" / "stalls")} if "--stalls" in argv else {}
        pythonpath = f"{ROOT}:{extra['PYTHONPATH']}" if extra else str(ROOT)
        iid = requests_.register_one(stack.soap_url, stack.client.ssl_context)
        request = (requests_.XML, soap.envelope("consultarFactura", f"<idFactura>{iid}</idFactura>"))
        headers, urls, cwd, pids = stack.client.ingress_headers, {}, {}, {}
        if rev:
            before = {f"before ({rev})": {}}
            variants = {**before, **variants} if "--before-first" in argv else {**variants, **before}
            tree = export_tree(rev, Path(tmp) / "before", ("ventanilla", "services/soap-edge", "services/status"))
            (tree / "tests").mkdir()
            subprocess.run(["cp", "-r", str(ROOT / "tests" / "benchmarks"), str(tree / "tests")], check=True)
            for name in ("__init__.py", "e2e", "support"):
                subprocess.run(["cp", "-r", str(ROOT / "tests" / name), str(tree / "tests")], check=True)
            cwd[f"before ({rev})"] = tree
        for index, (name, env) in enumerate(variants.items()):
            here = cwd.get(name, ROOT)
            paths = f"{here}:{here / 'services' / 'soap-edge'}:{here / 'services' / 'status'}:{pythonpath}"
            stages = OUT.parent / "tail-stages" / str(index)  # kept after the run, for a closer look
            shutil.rmtree(stages, ignore_errors=True)
            stages.mkdir(parents=True)
            common = {**env, **extra, "BENCH_STAGES_DIR": str(stages), "BENCH_STALLS_DIR": str(stages / "stalls"),
                      "PYTHONPATH": paths}
            address, status_pid = pairs.enter_context(status_replica(stack, common, Path(tmp) / f"state-{index}", here))
            started: list = []
            urls[name] = (pairs.enter_context(extra_server(
                stack, "tests.benchmarks.edge_stages", env={**common, "VENTANILLA_STATUS_ADDRESS": address}, cwd=here,
                started=started)), stages)
            pids[name] = {"edge": started[0].pid, "status": status_pid}
        for url, _ in urls.values():
            deadline = time.monotonic() + 120
            while True:
                try:
                    _answer(url, request, headers)
                    break
                except (AssertionError, OSError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            paced_load(url, request, rate / 2, 2, headers=headers)  # warm up
        for round_ in range(rounds):
            order = list(urls.items()) if round_ % 2 == 0 else list(urls.items())[::-1]
            for name, (url, stages) in order:
                load, trace, began = os.getloadavg()[0], [], time.time()
                threads = thread_cpu.times(pids[name]["status"]) if "--threads" in argv else None
                cpu, client = {role: cpu_seconds(pid) for role, pid in pids[name].items()}, time.process_time()
                run = paced_load(url, request, rate, seconds, headers=headers, trace=trace)
                client = time.process_time() - client  # the load generator's own (this process)
                threads_after = thread_cpu.times(pids[name]["status"]) if threads is not None else None
                run["cpu_ms_per_request"] = {role: round((cpu_seconds(pid) - cpu[role]) * 1000 / max(1, run["requests"]), 3)
                                             for role, pid in pids[name].items()}  # edge: arbiter and workers
                run["cpu_ms_per_request"]["client"] = round(client * 1000 / max(1, run["requests"]), 3)
                time.sleep(1.3)  # the servers' last lines (the stall probe and the thread names: every second)
                if threads is not None:
                    spent = thread_cpu.split(threads, threads_after, thread_cpu.names(stages, pids[name]["status"]))
                    run["status_threads_ms_per_request"] = {
                        label: round(s * 1000 / max(1, run["requests"]), 3)
                        for label, s in sorted(spent.items(), key=lambda item: -item[1]) if s > 0}
                run.update(decomposition(_joined(trace, stages)), loadavg=[round(load, 2), round(os.getloadavg()[0], 2)])
                if extra:
                    run["stalls"] = stalls(stages / "stalls", began, began + seconds + 0.5)
                results.setdefault("rounds", {}).setdefault(name, []).append(run)
                print(f"{name} round {round_}: p50 {run['p50_ms']} p99 {run['p99_ms']} max {run['max_ms']} "
                      f"errors {run['errors']} CPU ms/request {run['cpu_ms_per_request']} load {run['loadavg']} in flight "
                      f"{run['in_flight_at_call_start']}"
                      + (f" status threads {run['status_threads_ms_per_request']}" if threads is not None else ""),
                      file=sys.stderr, flush=True)
    results["loadavg"].append(round(os.getloadavg()[0], 2))
    results["median p99_ms"] = {name: statistics.median(r["p99_ms"] for r in runs)
                                for name, runs in results["rounds"].items()}
    results["median cpu_ms_per_request"] = {
        name: {role: statistics.median(r["cpu_ms_per_request"][role] for r in runs) for role in ("edge", "status", "client")}
        for name, runs in results["rounds"].items()}
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

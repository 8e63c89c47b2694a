"""Issue 15: the edge worker's event-loop thread per request, apart from its request threads:
`python tests/benchmarks/bench_edge_loop.py [--before REV] [--rounds N] [--seconds S] [--workers W] [--short]`
(--short: 3 rounds).
Prints JSON, writes var/bench/edge_loop.json.

The trivial Flask app (tests/benchmarks/flask_app.py: fixed bytes) served by the edge's own gunicorn configuration
(EdgeServer, EdgeWorker) in ingress mode on loopback, no backends: all it measures is the worker. With --before,
the same app on REV's worker beside it. Interleaved rounds of wrk -t1 -c8 (the order alternating); per round and
target, from /proc/<worker>/task: CPU per request of the workers' main threads (gunicorn's event loop) and of their
other threads (the request threads), and the loop threads' context switches per request. Median of the rounds."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "edge_loop.json"
PATH = "/ws/v2/FacturaService"


def _threads(workers: list[int]) -> dict[tuple[int, int], tuple[float, int]]:
    """(worker, thread) -> (CPU seconds, context switches) of every thread of the workers."""
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for worker in workers:
        for task in Path(f"/proc/{worker}/task").iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                status = dict(line.split(":\t", 1) for line in (task / "status").read_text().splitlines()
                              if ":\t" in line)
            except (FileNotFoundError, ProcessLookupError):
                continue
            switches = int(status["voluntary_ctxt_switches"]) + int(status["nonvoluntary_ctxt_switches"])
            out[(worker, int(task.name))] = ((int(fields[11]) + int(fields[12])) / tick, switches)
    return out


def _round(url: str, workers: list[int], seconds: int) -> dict:
    from tests.benchmarks.loadgen import wrk

    before = _threads(workers)
    load = wrk(url, "text/xml; charset=utf-8", b"<x/>", seconds=seconds)
    after = _threads(workers)
    n = max(load.requests, 1)

    def per_request(main: bool, index: int) -> float:
        return sum(v[index] - before.get(k, (0, 0))[index] for k, v in after.items() if (k[0] == k[1]) == main) / n

    return {"rps": load.rps, "errors": load.errors, "loop_cpu_us": round(per_request(True, 0) * 1e6, 1),
            "threads_cpu_us": round(per_request(False, 0) * 1e6, 1),
            "cpu_us": round((per_request(True, 0) + per_request(False, 0)) * 1e6, 1),
            "loop_switches": round(per_request(True, 1), 2), "load": os.getloadavg()[0]}


def _serve(port: int, workers: int, tree: Path | None) -> subprocess.Popen:
    env = {**os.environ, "VENTANILLA_SOAP_PORT": str(port), "VENTANILLA_SOAP_PLAIN_HTTP": "1",
           "VENTANILLA_TRUSTED_PROXIES": "127.0.0.1/32", "VENTANILLA_SOAP_WORKERS": str(workers),
           "VENTANILLA_LOG_LEVEL": "WARNING", "VENTANILLA_STATE_DIR": tempfile.mkdtemp(prefix="bench-loop-")}
    if tree is not None:
        env["PYTHONPATH"] = f"{tree / 'services' / 'soap-edge'}:{tree}"
    return subprocess.Popen([sys.executable, "-m", "tests.benchmarks.flask_app"], cwd=tree or ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _ready(url: str, process: subprocess.Popen, workers: int) -> list[int]:
    """The master's worker pids once the app answers."""
    from tests.benchmarks import requests_

    for _ in range(150):
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            requests_.post(url, "text/xml; charset=utf-8", b"<x/>")
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
            if len(children) == workers:
                return [int(c) for c in children]
        except (OSError, RuntimeError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def main(argv: list[str]) -> int:
    """Start the servers, run the interleaved rounds, print and write the JSON."""
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.bench_soap_edge import machine, publish
    from tests.benchmarks.benchstack import export_tree, stop
    from tests.support.ports import free_ports

    parser = argparse.ArgumentParser()
    parser.add_argument("--before")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args(argv)
    if args.short:
        args.rounds = min(args.rounds, 3)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    results: dict = {"machine": machine(), "commit": commit.stdout.strip(), "before": args.before,
                     "command": "python tests/benchmarks/bench_edge_loop.py " + " ".join(argv),
                     "load": "wrk -t1 -c8, trivial Flask app on the edge's gunicorn worker, ingress mode",
                     "loadavg_at_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="bench-loop-") as tmp:
        trees = {"this worker": None}
        if args.before:
            trees[f"{args.before}'s worker"] = export_tree(args.before, Path(tmp) / "before",
                                                           ("ventanilla", "services/soap-edge", "tests"))
        ports = dict(zip(trees, free_ports(len(trees))))
        servers = {label: _serve(ports[label], args.workers, tree) for label, tree in trees.items()}
        try:
            urls = {label: f"http://127.0.0.1:{ports[label]}{PATH}" for label in trees}
            workers = {label: _ready(urls[label], servers[label], args.workers) for label in trees}
            rounds: dict[str, list] = {label: [] for label in trees}
            for n in range(args.rounds):
                for label in (list(trees) if n % 2 == 0 else list(trees)[::-1]):
                    rounds[label].append(_round(urls[label], workers[label], args.seconds))
        finally:
            for server in servers.values():
                stop(server)
    for label, runs in rounds.items():
        results[label] = {key: statistics.median(r[key] for r in runs) for key in runs[0]} | {"rounds": runs}
    if args.before:
        after, before = results["this worker"], results[f"{args.before}'s worker"]
        results["after / before (medians)"] = {key: round(after[key] / before[key], 3) for key in
                                               ("rps", "loop_cpu_us", "threads_cpu_us", "cpu_us", "loop_switches")}
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The edge's own CPU per consultarEstadoFactura in ingress mode, in-process, beside another commit's edge and Flask:
`python tests/benchmarks/bench_edge_estado.py [--before REV] [--rounds R] [--requests N] [--threads T]
[--short] [--no-hop]` (also run by
`make bench`). The edge is wired as build() wires it over backends answering at once (the typed gRPC clients over
in-memory channels, the state query through the coalescer), the caller's certificate forwarded by a trusted ingress
as nginx forwards it, the access log formatted as JSON (to nowhere); each round runs each target in a fresh
process, rounds interleaved, CPU time (process_time) per request, best of 3 slices per round, median over rounds.
--before: the same measure with REV's ventanilla and soap_edge packages (git archive). Then (unless --no-hop) the
same targets again over a real status service (`hop_server.py status`: its gRPC side as wired, mutual TLS, one
invoice) with --threads T callers at once (4 by default: one gunicorn worker's share of wrk -c8), so that the
gRPC client, the coalescer's hand-offs and grpc's own threads count: the edge process's CPU per request, the status
server's, and the mean queries per GetStateBatch call. Prints JSON and writes var/bench/edge_estado.json."""
from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "edge_estado.json"
FLASK = "trivial Flask, same bytes"


def _hop_edge(hop: str):
    """The edge as build() wires it (metrics kept, tracing off), its status address `hop` over mutual TLS (the
    service PKI in VENTANILLA_SERVICE_TLS_*), and its mean queries per GetStateBatch call so far."""
    from soap_edge.__main__ import build
    from ventanilla.config import Settings
    from ventanilla.observability.process import Observability

    obs = Observability.quiet("soap-edge")
    env = {**os.environ, "VENTANILLA_STATUS_ADDRESS": hop, "VENTANILLA_TRUSTED_PROXIES": "127.0.0.1/32",
           "VENTANILLA_STATE_DIR": tempfile.mkdtemp(prefix="bench-edge-estado-")}
    app = build(Settings.from_env(env), observability=obs)

    def batch_sizes() -> tuple[float, float]:
        sample = obs.metrics.registry.get_sample_value
        return (sample("ventanilla_soap_state_batch_queries_sum") or 0.0,
                sample("ventanilla_soap_state_batch_queries_count") or 0.0)
    return app, batch_sizes


def _child(target: str, requests: int, hop: str | None = None, threads: int = 1, server: int = 0) -> None:
    """In a fresh process (cwd: the tree under test): the CPU µs per request of target, best of 3 slices (hop: the
    edge over a real status service at that address, `threads` callers at once; the process's CPU, grpc's own
    threads included)."""
    sys.path.insert(0, os.getcwd())
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from urllib.parse import quote

    from ventanilla.logs import JsonFormatter
    from tests.benchmarks import flask_app
    from tests.benchmarks.benchstack import cpu_seconds
    from tests.unit.soap_edge.fakes import PATH, Client, FakeBackends, client_certificate, edge, envelope

    handler = logging.StreamHandler(open(os.devnull, "w"))
    handler.setFormatter(JsonFormatter("soap-edge"))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.INFO)
    hop = hop if target != FLASK else None  # Flask: the bytes of the edge over in-memory backends
    nif, invoice = "B12345674", (8 if hop else 2527)  # hop: the invoice hop_server.py holds for this caller
    der = client_certificate(nif, organization_identifier=f"VATES-{nif}")
    pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()
    headers = {"HTTP_SSL_CLIENT_CERT": quote(pem), "HTTP_SSL_CLIENT_VERIFY": "SUCCESS"}
    body = envelope("consultarEstadoFactura", f"<idFactura>{invoice}</idFactura>")
    app, batch_sizes = (_hop_edge(hop) if hop
                        else (edge(FakeBackends(), trusted_proxies="127.0.0.1/32"), lambda: (0.0, 0.0)))
    if target == FLASK:
        answer = Client(app, peer_der=None).post(body, **headers).body
        app = flask_app.build(SimpleNamespace(edge=SimpleNamespace(path=PATH)), answer).wsgi_app
    client = Client(app, peer_der=None)
    for _ in range(max(100, requests // 10)):
        client.post(body, **headers)
    slices, batches, served = [], [], []
    requests = requests // threads * threads
    for _ in range(3):
        queries, calls = batch_sizes()
        server_started = cpu_seconds(server) if server else 0.0
        started = time.process_time()
        _requests(client, body, headers, requests, threads)
        slices.append((time.process_time() - started) / requests * 1e6)
        served.append(((cpu_seconds(server) - server_started) if server else 0.0) / requests * 1e6)
        after = batch_sizes()
        batches.append((after[0] - queries) / max(after[1] - calls, 1))
    best, last = min(range(3), key=slices.__getitem__), client.post(body, **headers)
    if last.code != 200:
        print(last.body[:600], file=sys.stderr)  # the fault, for the parent's error
    print(json.dumps({"us": slices[best], "server_us": served[best], "queries_per_call": batches[best],
                      "status": last.code}))


def _requests(client, body: bytes, headers: dict, requests: int, threads: int) -> None:
    """requests posts in all, from `threads` threads at once."""
    if threads == 1:
        for _ in range(requests):
            client.post(body, **headers)
        return
    import threading

    def run() -> None:
        for _ in range(requests // threads):
            client.post(body, **headers)
    callers = [threading.Thread(target=run) for _ in range(threads)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join()


def _run(tree: Path, target: str, requests: int, pythonpath: str | None, hop: dict | None = None) -> dict:
    """One child's measure: {"us", "server_us", "queries_per_call"} (the last two only over a real status service)."""
    env = {**os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {}), **(hop or {}).get("env", {})}
    extra = ["--hop", hop["address"], "--threads", str(hop["threads"]), "--server", str(hop["pid"])] if hop else []
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", target, "--requests",
                           str(requests), *extra], cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200, (answer, done.stderr[-1500:])
    return answer


def _targets(before: str | None, tmp: Path) -> dict:
    """name -> (tree, PYTHONPATH): this tree's edge, REV's edge (before), Flask."""
    from tests.benchmarks.benchstack import export_tree

    targets = {"edge": (ROOT, None)}
    if before:
        tree = export_tree(before, tmp / "before", ("ventanilla", "services/soap-edge", "tests"))
        targets[f"edge ({before})"] = (tree, f"{tree / 'services' / 'soap-edge'}:{tree}")
    return {**targets, FLASK: (ROOT, None)}


def _rounds(targets: dict, rounds: int, requests: int, hop: dict | None = None) -> dict:
    """Each target's measures, rounds interleaved; per target the median of each figure over the rounds."""
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (tree, pythonpath) in targets.items():
            runs[name].append(_run(tree, FLASK if name == FLASK else "edge", requests, pythonpath, hop))
    found = {}
    for name, measures in runs.items():
        us = [m["us"] for m in measures]
        found[name] = {"median": round(statistics.median(us), 1), "rounds": [round(v, 1) for v in us]}
        if hop and name != FLASK:
            found[name]["status_server_us"] = round(statistics.median(m["server_us"] for m in measures), 1)
            found[name]["queries_per_call"] = round(statistics.median(m["queries_per_call"] for m in measures), 2)
    for name in found:
        if name != FLASK:
            found[name]["flask_cpu_over_edge_cpu"] = round(found[FLASK]["median"] / found[name]["median"], 3)
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--no-hop", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--hop")
    parser.add_argument("--server", type=int, default=0)
    args, _ = parser.parse_known_args(argv)
    if args.child:
        _child(args.child, args.requests, args.hop, args.threads, args.server)
        return 0
    rounds, requests = (3, 1000) if args.short else (args.rounds, args.requests)
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.bench_hop import serving
    from tests.benchmarks.bench_soap_edge import machine, publish

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    results = {"machine": machine(), "commit": commit.strip(), "command": "python tests/benchmarks/bench_edge_estado.py "
               + " ".join(argv), "rounds": rounds, "requests_per_slice": requests, "before": args.before,
               "loadavg_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="bench-edge-estado-") as tmp:
        targets = _targets(args.before, Path(tmp))
        results["cpu_us_per_request"] = _rounds(targets, rounds, requests)
        if not args.no_hop:
            from tests.support.service_pki import service_tls_env
            with serving("status") as (address, pid, _):
                hop = {"address": address, "pid": pid, "threads": args.threads, "env": service_tls_env()}
                results["over_a_real_status_service"] = {
                    "what": f"the edge over the status service as wired (hop_server.py status, mutual TLS), "
                            f"{args.threads} threads at once; edge CPU µs per request (grpc's threads included), "
                            "the status server's CPU µs per request, mean queries per GetStateBatch call",
                    **_rounds(targets, rounds, requests, hop)}
    results["loadavg_end"] = os.getloadavg()[0]
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The edge's own CPU per consultarEstadoFactura in ingress mode, in-process, beside another commit's edge and Flask:
`python tests/benchmarks/bench_edge_estado.py [--before REV] [--rounds R] [--requests N] [--short]` (also run by
`make bench`). The edge is wired as build() wires it over backends answering at once (the typed gRPC clients over
in-memory channels, the state query through the coalescer), the caller's certificate forwarded by a trusted ingress
as nginx forwards it, the access log formatted as JSON (to nowhere); each round runs each target in a fresh
process, rounds interleaved, CPU time (process_time) per request, best of 3 slices per round, median over rounds.
--before: the same measure with REV's ventanilla and soap_edge packages (git archive). Prints JSON and writes
var/bench/edge_estado.json."""
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


def _child(target: str, requests: int) -> None:
    """In a fresh process (cwd: the tree under test): the CPU µs per request of target, best of 3 slices."""
    sys.path.insert(0, os.getcwd())
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from urllib.parse import quote

    from ventanilla.logs import JsonFormatter
    from tests.benchmarks import flask_app
    from tests.unit.soap_edge.fakes import PATH, Client, FakeBackends, client_certificate, edge, envelope

    handler = logging.StreamHandler(open(os.devnull, "w"))
    handler.setFormatter(JsonFormatter("soap-edge"))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.INFO)
    der = client_certificate("B12345674", organization_identifier="VATES-B12345674")
    pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()
    headers = {"HTTP_SSL_CLIENT_CERT": quote(pem), "HTTP_SSL_CLIENT_VERIFY": "SUCCESS"}
    body = envelope("consultarEstadoFactura", "<idFactura>2527</idFactura>")
    app = edge(FakeBackends(), trusted_proxies="127.0.0.1/32")
    if target == FLASK:
        answer = Client(app, peer_der=None).post(body, **headers).body
        app = flask_app.build(SimpleNamespace(edge=SimpleNamespace(path=PATH)), answer).wsgi_app
    client = Client(app, peer_der=None)
    for _ in range(max(100, requests // 10)):
        client.post(body, **headers)
    slices = []
    for _ in range(3):
        started = time.process_time()
        for _ in range(requests):
            client.post(body, **headers)
        slices.append((time.process_time() - started) / requests * 1e6)
    print(json.dumps({"us": min(slices), "status": client.post(body, **headers).code}))


def _run(tree: Path, target: str, requests: int, pythonpath: str | None) -> float:
    env = {**os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {})}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", target, "--requests",
                           str(requests)], cwd=tree, env=env, capture_output=True, text=True, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200, answer
    return answer["us"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--child")
    args, _ = parser.parse_known_args(argv)
    if args.child:
        _child(args.child, args.requests)
        return 0
    rounds, requests = (3, 1000) if args.short else (args.rounds, args.requests)
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.bench_soap_edge import machine, publish
    from tests.benchmarks.benchstack import export_tree

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    results = {"machine": machine(), "commit": commit.strip(), "command": "python tests/benchmarks/bench_edge_estado.py "
               + " ".join(argv), "rounds": rounds, "requests_per_slice": requests}
    with tempfile.TemporaryDirectory(prefix="bench-edge-estado-") as tmp:
        targets = {"edge": (ROOT, None), FLASK: (ROOT, None)}
        if args.before:
            tree = export_tree(args.before, Path(tmp) / "before", ("ventanilla", "services/soap-edge", "tests"))
            targets = {"edge": (ROOT, None), f"edge ({args.before})": (tree, f"{tree / 'services' / 'soap-edge'}:{tree}"),
                       FLASK: (ROOT, None)}
            results["before"] = args.before
        runs: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(rounds):
            for name, (tree, pythonpath) in targets.items():
                runs[name].append(_run(tree, FLASK if name == FLASK else "edge", requests, pythonpath))
    median = {name: statistics.median(values) for name, values in runs.items()}
    results["cpu_us_per_request"] = {name: {"median": round(median[name], 1), "rounds": [round(v, 1) for v in values]}
                                     for name, values in runs.items()}
    results["flask_cpu_over_edge_cpu"] = {name: round(median[FLASK] / median[name], 3) for name in runs if name != FLASK}
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

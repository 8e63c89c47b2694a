"""Issue 15, the edge's own cost of one backend call through its typed clients, without the network: `python
tests/benchmarks/bench_client_call.py [--before DIR] [--rounds 5] [--calls 50000]`.

Each round times `calls` consultarFactura-style GetInvoice calls (status: one channel) and SubmitInvoice calls
(registry: 8 channels, VENTANILLA_EDGE_REGISTRY_CHANNELS's default) over channels that answer at once, in a fresh
interpreter per product tree (this checkout's; with --before, DIR's too, the order alternating by round): the
microseconds of CPU per call that channel picking and the client's wrapping add. Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys, time
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.config import Deadlines
from soap_edge.backends.channels import Channels
from soap_edge.backends.clients import Backends

class Answering:
    def __init__(self, address, options=()):
        self.address = address
    def _call(self, path, *args, **kwargs):
        answer = pb.SubmitInvoiceResponse() if "Registry" in path else pb.InvoiceAnswer()
        return lambda request, timeout=None, **_: answer
    unary_unary = stream_unary = unary_stream = _call

calls = int(sys.argv[1])
channels = Channels({"registry": "r", "status": "s", "cancellation": "c"}, 1 << 24, Answering, spread={"registry": 8})
backends = Backends(channels, Deadlines(query_s=5, write_s=5, read_your_writes_s=5))
caller = pb.Caller(nif="12345678Z")
out = {}
for name, call in (("GetInvoice", lambda: backends.status.invoice(caller, 1)),
                   ("SubmitInvoice", lambda: backends.registry.submit(caller, b"x", []))):
    call()
    start = time.process_time()
    for _ in range(calls):
        call()
    out[name] = round((time.process_time() - start) * 1e6 / calls, 2)
print(out)
"""


def run(tree: Path | None, calls: int) -> dict:
    """The µs of CPU per call in one fresh interpreter of tree's product (None: this checkout's)."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), str(tree / "services" / "soap-edge")])
    out = subprocess.run([sys.executable, "-c", CHILD, str(calls)], env=env, cwd=tree or ROOT, check=True,
                         capture_output=True, text=True)
    return eval(out.stdout.strip().splitlines()[-1], {})  # the child's dict literal


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50000)
    args = parser.parse_args()
    trees = [("this", None), *([("before", args.before)] if args.before else [])]
    report = {"load_average_start": os.getloadavg()[0], "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "rounds": []}
    for round_ in range(args.rounds):
        report["rounds"].append({label: run(tree, args.calls)
                                 for label, tree in (trees if round_ % 2 == 0 else trees[::-1])})
    report["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

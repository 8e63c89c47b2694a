"""Edge memory and time under a burst of large uploads, per number of large-body slots:
`python tests/benchmarks/bench_large_uploads.py [rounds]` (also run by `make bench`). Prints JSON.

The burst of tests/integration/test_edge_tls.py: 12 envelopes of 7.3 MB (5.5 MB of base64) and 6 bodies
of 9 MB (refused as too large), all at once, over TLS with a client certificate, against one edge worker
whose registry answers UNIMPLEMENTED (no backend work: the edge's own cost). Slots are
VENTANILLA_SOAP_MAX_LARGE_BODIES; 3 is the default.
"""
from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLOTS = (1, 3, 8)
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://v2.ws.efactura.ceh.gobiernodecanarias.org/"


def burst(slots: int, large: bytes) -> dict:
    """One edge with this many slots, one burst; idle and peak RSS, the burst's wall time, the answers."""
    import requests

    from tests.integration.edge_server import start_edge
    from tests.support.stack_env import free_ports

    with tempfile.TemporaryDirectory() as state:
        edge = start_edge(Path(state), free_ports(4), VENTANILLA_SOAP_MAX_LARGE_BODIES=str(slots))
        try:
            cert, answers, peak, done = edge.client("99999999R"), [], [0], threading.Event()
            idle = edge.rss_mb()

            def watch():
                while not done.wait(0.02):
                    peak[0] = max(peak[0], edge.rss_mb())

            def upload(body: bytes):
                reply = requests.post(edge.url, data=body, headers={"Content-Type": "text/xml; charset=utf-8"},
                                      cert=cert, verify=str(edge.pki.cert("ca")), timeout=120)
                answers.append(reply.status_code)

            threads = [threading.Thread(target=upload, args=(large,)) for _ in range(12)]
            threads += [threading.Thread(target=upload, args=(b"x" * (9 << 20),)) for _ in range(6)]
            watcher = threading.Thread(target=watch)
            watcher.start()
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            done.set()
            watcher.join()
        finally:
            edge.stop()
    return {"slots": slots, "idle_mb": idle, "peak_mb": peak[0], "over_idle_mb": peak[0] - idle,
            "burst_s": round(wall, 2), "answers": {str(code): answers.count(code) for code in sorted(set(answers))}}


def main(argv: list[str]) -> int:
    """Alternate the slot counts round by round, so that the machine's noise spreads over all of them."""
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.bench_soap_edge import machine

    rounds = int(argv[0]) if argv and argv[0].isdigit() else 3
    inner = base64.b64encode(os.urandom(5_500_000)).decode()
    large = (f'<S:Envelope xmlns:S="{SOAP}"><S:Body><ns:enviarFactura xmlns:ns="{TNS}"><facturae>{inner}'
             "</facturae></ns:enviarFactura></S:Body></S:Envelope>").encode()
    runs = [burst(slots, large) for _ in range(rounds) for slots in SLOTS]
    print(json.dumps({"machine": machine(), "body_bytes": len(large), "runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

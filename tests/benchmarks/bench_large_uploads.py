"""Edge memory and time under a burst of large uploads, per large-body memory budget:
`python tests/benchmarks/bench_large_uploads.py [rounds]` (also run by `make bench`). Prints JSON.

The memory test's burst (`tests/integration/edge_server.large_upload_burst`): 12 envelopes of 7.3 MB
(5.5 MB of base64) and 6 bodies of 9 MB (refused as too large), all at once, over TLS with a client
certificate, against one edge worker whose registry answers UNIMPLEMENTED (no backend work: the edge's
own cost). Budgets are VENTANILLA_SOAP_LARGE_BODY_MEMORY_MB (384 is the default); an inline 7.3 MB envelope
reserves 4x its length (29 MB): 32, 96 and 256 MB let 1, 3 and 8 of them in at once.
"""
from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUDGETS_MB = (32, 96, 256)


def burst(budget_mb: int) -> dict:
    """One edge with this budget, one burst; idle and peak RSS, the burst's wall time, the answers."""
    from tests.integration.edge_server import large_upload_burst, start_edge
    from tests.support.stack_env import free_ports

    with tempfile.TemporaryDirectory() as state:
        edge = start_edge(Path(state), free_ports(4), VENTANILLA_SOAP_LARGE_BODY_MEMORY_MB=str(budget_mb))
        try:
            result = large_upload_burst(edge)
        finally:
            edge.stop()
    return {"budget_mb": budget_mb, "idle_mb": result.idle_mb, "peak_mb": result.peak_mb,
            "over_idle_mb": result.peak_mb - result.idle_mb, "burst_s": round(result.seconds, 2),
            "answers": dict(sorted(Counter(map(str, result.answers)).items()))}


def main(argv: list[str]) -> int:
    """Alternate the budgets round by round, so that the machine's noise spreads over all of them."""
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.bench_soap_edge import machine

    rounds = int(argv[0]) if argv and argv[0].isdigit() else 3
    runs = [burst(budget) for _ in range(rounds) for budget in BUDGETS_MB]
    print(json.dumps({"machine": machine(), "runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

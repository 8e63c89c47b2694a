"""The status service with a timestamp around each GetInvoice, for bench_tail.py (benchmark-only, never in the
product): `python -m tests.benchmarks.status_stages` with BENCH_STAGES_DIR set. Per call, a JSON line in
BENCH_STAGES_DIR/status-<pid>.jsonl: the request id and time.perf_counter() when the handler began and ended; and the
process's Python thread names by native id in BENCH_STAGES_DIR/threads-<pid>.json (thread_cpu.py, bench_tail --threads)."""
from __future__ import annotations

import json
import os
import time

from ventanilla.observability import requestid

from status_service import __main__ as status
from status_service.grpc_api import StatusApi
from tests.benchmarks import thread_cpu


def _instrument() -> None:
    out = open(os.path.join(os.environ["BENCH_STAGES_DIR"], f"status-{os.getpid()}.jsonl"), "a", buffering=1)
    get_invoice = StatusApi.GetInvoice

    def timed(self, request, context):
        began = time.perf_counter()
        try:
            return get_invoice(self, request, context)
        finally:
            out.write(json.dumps({"rid": requestid.current(), "handler": began, "handler_end": time.perf_counter()})
                      + "\n")

    StatusApi.GetInvoice = timed
    thread_cpu.write_names(os.environ["BENCH_STAGES_DIR"])


if __name__ == "__main__":
    _instrument()
    status.main()

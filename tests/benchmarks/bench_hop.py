"""The edge → status gRPC hop of consultarEstadoFactura against bare grpcio with the same proto, same run:
`python tests/benchmarks/bench_hop.py [--calls N] [--threads T] [--rounds R] [--quick] [--before REV] [--breakdown]
[--rows TEXT]` (also run by `make bench`; --rows: only the rows whose label holds TEXT, and the floor). T caller threads (1 by default) make N GetStates calls in all (after a warm-up) to each server in its own
process, rows interleaved in each of R rounds (3); reported per row (median of the rounds): the caller's CPU per call
(time.process_time), the server process's CPU per call (/proc), both, and the median latency. Rows: the edge's
StatusClient (its channel as the edge opens it: mutual TLS, request id and metrics) against the status service's
gRPC side as wired (`hop_server.py status`), one query per call and batched; the same two against the same query
side on a grpc.aio server (`status-aio`, hop_alternatives.py); a plain stub against the same; a plain stub against
bare grpcio with and without TLS (the floor); --before: the status side of commit REV too; --breakdown: the status
side without some of its parts, on one generic handler, and a bare answer on grpc.aio. Also per row: the server
process's and the caller process's context switches per call. Prints JSON, writes var/bench/hop.json."""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_soap_edge import machine, publish  # noqa: E402
from tests.benchmarks.benchstack import cpu_seconds, export_tree  # noqa: E402
from tests.support.stack_env import free_ports  # noqa: E402
from tests.support.service_pki import service_tls_env  # noqa: E402

OUT = ROOT / "var" / "bench" / "hop.json"
ROUNDS, WARM_UP = 3, 300


@contextmanager
def serving(variant: str, code: Path = ROOT, env: dict[str, str] | None = None):
    """A hop_server.py process serving `variant` on a free port, with the ventanilla and status packages of `code`
    (another commit's tree: export_tree), in `env` (this process's environment by default): (address, pid, the
    thread CPU it printed when stopped)."""
    (port,) = free_ports(1)
    tls = service_tls_env()
    process = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.hop_server", variant, str(port),
                                tls["VENTANILLA_SERVICE_TLS_DIR"], tls["VENTANILLA_SERVICE_TLS_CA"]],
                               cwd=code, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               env={**(os.environ if env is None else env), "PYTHONPATH": f"{code}:{code / 'services' / 'status'}:{ROOT}"})
    timed: dict = {}
    try:
        assert process.stdout.readline().strip() == "ready", f"hop_server {variant} did not start"
        yield f"127.0.0.1:{port}", process.pid, timed
    finally:
        process.stdin.close()
        timed.update(json.loads(process.stdout.readline() or "{}"))
        process.wait(timeout=30)


def _edge_client(address: str, batched: bool = False):
    """consultarEstadoFactura's call as the edge made it before batching (StatusClient.states over the edge's channels),
    or batched: as it makes it now (StatusClient.state: concurrent callers' queries share a GetStateBatch call; the
    mean queries per call in BATCHES[address])."""
    from soap_edge.backends.channels import Channels
    from soap_edge.backends.clients import Batching, StatusClient
    from ventanilla.adapters.service_tls import opener
    from ventanilla.api.v1 import services_pb2 as pb
    from ventanilla.config import Deadlines, ServiceTls
    from ventanilla.observability.process import Observability

    obs = Observability.quiet("soap-edge")
    tls = ServiceTls.from_env(service_tls_env(), Path("."))
    opened = opener(tls, "soap-edge", {address: "status"})
    channels = Channels({"status": address}, 64 * 1024 * 1024,
                        open_channel=lambda a, **options: obs.channel(opened(a, **options)))
    sizes = BATCHES.setdefault(address, [])
    client = StatusClient(channels, Deadlines.from_env({}), Batching(observed=sizes.append))
    caller = pb.Caller(nif="B12345678")
    return (lambda: client.state(caller, 7)) if batched else (lambda: client.states(caller, [7])), channels.close


def _plain_client(address: str, tls: bool):
    """A generated stub over a plain channel (mutual TLS as the services use it, when tls)."""
    import grpc

    from tests.support.service_pki import dial
    from ventanilla.api.v1 import services_pb2 as pb
    from ventanilla.api.v1 import services_pb2_grpc as rpc

    channel = dial(address, "status") if tls else grpc.insecure_channel(address)
    stub, request = rpc.StatusServiceStub(channel), pb.StatesByIds(caller=pb.Caller(nif="B12345678"), ids=[7])
    return lambda: stub.GetStates(request, timeout=10), channel.close


def _intercepted_client(address: str, layer: str):
    """A generated stub over the mutual-TLS channel wrapped by grpc.intercept_channel: `nothing` (an interceptor
    that only continues: grpc's machinery alone), `request id` (the edge's layer without metrics), or `edge` (the
    channel as the edge's observability wraps it: request id and metrics)."""
    import grpc

    from tests.support.service_pki import dial
    from ventanilla.api.v1 import services_pb2 as pb
    from ventanilla.api.v1 import services_pb2_grpc as rpc
    from ventanilla.observability.grpc_interceptors import RequestIdClientInterceptor
    from ventanilla.observability.process import Observability

    class Continues(grpc.UnaryUnaryClientInterceptor):
        def intercept_unary_unary(self, continuation, client_call_details, request):
            return continuation(client_call_details, request)

    plain = dial(address, "status")
    channel = (Observability.quiet("soap-edge").channel(plain) if layer == "edge" else
               grpc.intercept_channel(plain, Continues() if layer == "nothing" else RequestIdClientInterceptor()))
    stub, request = rpc.StatusServiceStub(channel), pb.StatesByIds(caller=pb.Caller(nif="B12345678"), ids=[7])
    return lambda: stub.GetStates(request, timeout=10, wait_for_ready=True), plain.close


EDGE, FLOOR = "edge client → status service (as wired)", "plain stub → bare grpcio, mutual TLS"
BATCHED = "edge client, batched (GetStateBatch) → status service (as wired)"
BATCHES: dict[str, list[int]] = {}  # server address -> the batch sizes the batched client observed
ROWS = {  # row: (server variant, client)
    EDGE: ("status", _edge_client),
    BATCHED: ("status", lambda a: _edge_client(a, batched=True)),
    "plain stub → status service (as wired)": ("status", lambda a: _plain_client(a, True)),
    FLOOR: ("bare-tls", lambda a: _plain_client(a, True)),
    "plain stub → bare grpcio, no TLS": ("bare", lambda a: _plain_client(a, False)),
    # the same service's query side on a grpc.aio server (hop_alternatives.py): the same layers in one coroutine
    "edge client → status service on grpc.aio": ("status-aio", _edge_client),
    BATCHED.replace("(as wired)", "on grpc.aio"): ("status-aio", lambda a: _edge_client(a, batched=True)),
}


def _switches(pid: int) -> int:
    """Context switches (voluntary and not) of all the server process's threads so far (threads alive now)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += sum(int(line.split()[1]) for line in (task / "status").read_text().splitlines()
                         if "ctxt_switches:" in line)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _own_switches() -> int:
    """Context switches (voluntary and not) of this process's threads so far, ended threads included."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_nvcsw + used.ru_nivcsw


def _measure(call, pid: int, calls: int, threads: int) -> dict:
    """calls in `threads` caller threads (process_time: the whole caller process, grpc's own threads included)."""
    for _ in range(WARM_UP):
        call()
    samples: list[float] = []

    def caller(count: int) -> None:
        for _ in range(count):
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
    callers = [threading.Thread(target=caller, args=(calls // threads,)) for _ in range(threads)]
    server_before, client_before, switches_before = cpu_seconds(pid), time.process_time(), _switches(pid)
    caller_switches_before = _own_switches()
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join()
    calls = len(samples)
    client_ms = (time.process_time() - client_before) * 1000 / calls
    server_ms = (cpu_seconds(pid) - server_before) * 1000 / calls
    return {"client_cpu_ms": client_ms, "server_cpu_ms": server_ms, "p50_ms": statistics.median(samples) * 1000,
            "server context switches per call": (_switches(pid) - switches_before) / calls,
            "caller context switches per call": (_own_switches() - caller_switches_before) / calls}


BREAKDOWN = {f"plain stub → status service without {parts}": f"status-{parts}"
             for parts in ("check-gate", "metrics", "api", "check-metrics-gate", "check-metrics-gate-api")}
# with --breakdown: the other server shapes of hop_alternatives.py (the same layers, fewer of grpc's)
ALTERNATIVES = {
    "edge client → status service, one generic handler": ("status-generic", _edge_client),
    BATCHED.replace("(as wired)", "on one generic handler"): (
        "status-generic", lambda a: _edge_client(a, batched=True)),
    "plain stub → bare answer on grpc.aio, mutual TLS": ("status-aio-api", lambda a: _plain_client(a, True)),
}


def run(calls: int, threads: int = 1, before: Path | None = None, breakdown: bool = False, rounds: int = ROUNDS,
        only: str = "") -> dict:
    """Each row's median over ROUNDS interleaved rounds (before: also the edge row against that tree's status;
    breakdown: the status side without some of its parts, `check` the callers' check, `gate` the ready gate,
    `metrics` the request id and metrics interceptor, `api` the query: the bare answer instead; and the client side
    through grpc's interceptor machinery with each layer)."""
    rows = {row: (variant, make_client, ROOT) for row, (variant, make_client) in ROWS.items()}
    if before is not None:
        rows[EDGE + ", before"] = ("status", _edge_client, before)
    if breakdown:
        rows.update({row: (variant, lambda a: _plain_client(a, True), ROOT) for row, variant in BREAKDOWN.items()})
        rows.update({row: (variant, make_client, ROOT) for row, (variant, make_client) in ALTERNATIVES.items()})
        rows.update({f"{layer} interceptor → bare grpcio, mutual TLS": (
            "bare-tls", lambda a, layer=layer: _intercepted_client(a, layer), ROOT)
            for layer in ("nothing", "request id", "edge")})
    rows = {row: spec for row, spec in rows.items() if only in row or row == FLOOR}
    measured: dict[str, list[dict]] = {row: [] for row in rows}
    for _ in range(rounds):
        for row, (variant, make_client, code) in rows.items():
            with serving(variant, code) as (address, pid, timed):
                call, close = make_client(address)
                try:
                    measured[row].append(_measure(call, pid, calls, threads))
                finally:
                    close()
                sizes = BATCHES.pop(address, [])
                if sizes:
                    measured[row][-1]["mean queries per call"] = sum(sizes) / len(sizes)
            measured[row][-1].update({f"{part} µs in the server thread": us for part, us in timed.items()})
    found = {row: {key: round(statistics.median(r[key] for r in rs if key in r), 3) for key in rs[0]}
             for row, rs in measured.items()}
    for row in found.values():
        row["both_cpu_ms"] = round(row["client_cpu_ms"] + row["server_cpu_ms"], 3)
    floor = found[FLOOR]["both_cpu_ms"]
    for row in found.values():
        row["cpu_vs_bare_tls"] = round(row["both_cpu_ms"] / floor, 2)
    return found


def _option(argv: list[str], name: str, default: str | None) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else default


def main(argv: list[str]) -> int:
    """Run every row (run_all's own arguments are ignored)."""
    calls = int(_option(argv, "--calls", "2000" if "--quick" in argv else "10000"))
    threads, rev = int(_option(argv, "--threads", "1")), _option(argv, "--before", None)
    rounds = int(_option(argv, "--rounds", str(ROUNDS)))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    results = {"machine": machine(), "commit": commit.strip(),
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "command": "python tests/benchmarks/bench_hop.py " + " ".join(argv),
               "load": f"{threads} caller thread(s), {calls} GetStates calls (1 id) per row and round, {rounds} "
                       "interleaved rounds, median", "loadavg_start": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory(prefix="bench-hop-") as tmp:
        before = export_tree(rev, Path(tmp), ("ventanilla", "services/status")) if rev else None
        results["before"] = rev
        results["rows"] = run(calls, threads, before, "--breakdown" in argv, rounds, _option(argv, "--rows", ""))
    results["loadavg_end"] = round(os.getloadavg()[0], 1)
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

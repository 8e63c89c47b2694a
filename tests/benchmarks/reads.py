"""The sections of bench_reads.py: each read path of issue 15 and the baseline it is compared with in the same run."""
from __future__ import annotations

import os
import statistics
import urllib.request
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from prometheus_client.parser import text_string_to_metric_families

from ventanilla.config import MetricsSettings

from tests.benchmarks import requests_
from tests.benchmarks.benchstack import SELLER, BenchStack, cpu_seconds, extra_server
from tests.benchmarks.loadgen import _percentile, connection_to, python_load, wrk
from tests.benchmarks.paced import paced_load
from tests.e2e import soap
from tests.support.service_pki import dial

ROUNDS, SECONDS, CONNECTIONS = 3, 5, 8
RATE, PACED_S, PACED_ROUNDS = 500, 10, 3
PACED_WARM_S, REGISTERING = 2, 8  # paced of many invoices: its warm-up; the threads registering them up front
ESTADO_RATES, ESTADO_PACED_S = (300, 800), 8  # paced_estado: a moderate and a high rate (the edge serves ~1,000-1,500/s)
IDLE_S = 4  # lag: the status service's idle CPU measured this long before the updates
SNAPSHOT_TAIL = 0.05  # the share of the log a replica from a snapshot replays


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"n": len(ordered), "p50_ms": round(_percentile(ordered, 50) * 1000, 2),
            "p99_ms": round(_percentile(ordered, 99) * 1000, 2), "max_ms": round(ordered[-1] * 1000, 2)}


def _flask_with(stack: BenchStack, answers: Path, name: str, answer: bytes, started: list | None = None):
    """The trivial Flask endpoint serving exactly these answer bytes (ingress mode, like the edge under test)."""
    (answers / name).write_bytes(answer)
    return extra_server(stack, "tests.benchmarks.flask_app", env={"BENCH_ANSWER_FILE": str(answers / name)},
                        started=started)


FLOOR = "floor (one bare gRPC call per request)"


def _floor_request(stack: BenchStack, method: str, invoice_id: int):
    """What the edge asks the status service for one query of the invoice: GetStateBatch of that query alone (no other
    caller's to share the call), or GetInvoice naming the receipt it holds (a held-receipt hit: no receipt bytes)."""
    from ventanilla.api.v1 import services_pb2 as pb
    from ventanilla.api.v1 import services_pb2_grpc as rpc

    caller = pb.Caller(nif=SELLER, request_id=uuid.uuid4().hex)
    if method == "GetStateBatch":
        return pb.StateQueries(queries=[pb.StateQuery(caller=caller, id=invoice_id)])
    with dial(stack.settings.addresses.status, "status") as channel:
        held = rpc.StatusServiceStub(channel).GetInvoice(pb.InvoiceById(caller=caller, id=invoice_id), timeout=10)
    return pb.InvoiceById(caller=caller, id=invoice_id, held_receipt_sha256=held.invoice.receipt.sha256)


@contextmanager
def _floor_with(stack: BenchStack, answers: Path, name: str, answer: bytes, method: str,
                invoice_id: int) -> Iterator[tuple[str, int, int]]:
    """The architecture's floor of a read path: hop_server.py `floor` (bare grpcio, the services' mutual TLS)
    answering `method` with the stack's status service's own answer to the edge's request (asked once here), behind
    floor_edge.py (the edge's gunicorn configuration, ingress mode) making that one call per request and answering the
    edge's bytes: (its URL, its pid, the floor status's pid)."""
    with _floor_status(stack, answers, name, answer, method, invoice_id) as (address, status_pid, files), \
            _floor_edge(stack, files, method, address) as (url, pid):
        yield url, pid, status_pid


@contextmanager
def _floor_status(stack: BenchStack, answers: Path, name: str, answer: bytes, method: str, invoice_id: int,
                  misses: bool = False) -> Iterator[tuple[str, int, dict[str, Path]]]:
    """_floor_with's floor status, and the files of the floor edge's request and answer: (its address, its pid, the
    files); misses (GetInvoice): a request naming no held receipt gets the status service's answer with the receipt."""
    from ventanilla.api.v1 import services_pb2_grpc as rpc
    from tests.benchmarks.bench_hop import serving

    request = _floor_request(stack, method, invoice_id)
    files = {part: answers / f"{name}.floor.{part}" for part in ("soap", "request", "status", "miss")}
    with dial(stack.settings.addresses.status, "status") as channel:
        call = getattr(rpc.StatusServiceStub(channel), method)
        files["status"].write_bytes(call(request, timeout=10).SerializeToString())
        if misses:
            files["miss"].write_bytes(call(type(request)(caller=request.caller, id=invoice_id),
                                           timeout=10).SerializeToString())
    files["soap"].write_bytes(answer)
    files["request"].write_bytes(request.SerializeToString())
    floor_env = {**stack.env, "BENCH_FLOOR_METHOD": method, "BENCH_FLOOR_ANSWER": str(files["status"]),
                 **({"BENCH_FLOOR_MISS_ANSWER": str(files["miss"])} if misses else {})}
    with serving("floor", env=floor_env) as (address, status_pid, _):
        yield address, status_pid, files


@contextmanager
def _floor_edge(stack: BenchStack, files: dict[str, Path], method: str, status: str) -> Iterator[tuple[str, int]]:
    """floor_edge.py making its one call per request to the status service at `status` (the floor's or the stack's):
    (its URL, its pid)."""
    started: list = []
    with extra_server(stack, "tests.benchmarks.floor_edge", started=started, env={
            "VENTANILLA_STATUS_ADDRESS": status, "BENCH_FLOOR_METHOD": method,
            "BENCH_FLOOR_REQUEST": str(files["request"]), "BENCH_ANSWER_FILE": str(files["soap"])}) as url:
        yield url, started[0].pid


def _answer(url: str, request: tuple[str, bytes], headers) -> bytes:
    connection = connection_to(url)
    connection.request("POST", "/" + url.split("/", 3)[3], body=request[1],
                       headers={"Content-Type": request[0], "SOAPAction": '""', **headers})
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    assert answer.status == 200, body[:500]
    return body


def _status_calls(stack: BenchStack, ids: list[int], own_writes: bool, calls: int = 1000) -> dict:
    """GetStates of ids straight to the status service, one caller thread: with or without read-your-writes."""
    from ventanilla.api.v1 import services_pb2 as pb
    from ventanilla.api.v1 import services_pb2_grpc as rpc

    request = pb.StatesByIds(caller=pb.Caller(nif=SELLER, read_own_writes=own_writes), ids=ids)
    with dial(stack.settings.addresses.status, "status") as channel:  # the services' mutual TLS, as the edge
        stub, samples = rpc.StatusServiceStub(channel), []
        cpu_started = time.process_time()
        for _ in range(calls):
            started = time.perf_counter()
            stub.GetStates(request, timeout=10)
            samples.append(time.perf_counter() - started)
        cpu_ms = (time.process_time() - cpu_started) * 1000 / calls  # the gRPC client's own CPU (this process)
    return {**_ms(samples), "client_cpu_ms_per_call": round(cpu_ms, 3)}


def _service_pid(stack: BenchStack, module: str) -> int | None:
    """The pid of the stack's `python -m module` (a child of `ventanilla run`), if found."""
    run = Path(stack.settings.path("run.pid")).read_text().split()[0]
    pending = [int(run)]
    while pending:
        pid = pending.pop()
        try:
            if f"-m\0{module}".encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
            pending += [int(c) for t in Path(f"/proc/{pid}/task").iterdir() for c in (t / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return None


def _batch_calls(stack: BenchStack) -> float:
    """GetStateBatch calls the stack's status service started so far (its /metrics), 0 when it cannot tell."""
    address = MetricsSettings.from_env("status", stack.env).address
    try:
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return 0.0
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "grpc_server_started_total" and sample.labels.get("grpc_method") == "GetStateBatch")


def _one_connection(targets: dict, headers) -> dict:
    """p50 / p99 latency with one connection (wrk -c1), ROUNDS interleaved rounds, median of each."""
    runs: dict[str, list] = {name: [] for name in targets}
    for _ in range(ROUNDS):
        for name, (url, sent) in targets.items():
            runs[name].append(wrk(url, *sent, SECONDS, 1, headers=headers))
    return {name: {"p50_ms": round(statistics.median(r.p50_ms for r in rs), 3),
                   "p99_ms": round(statistics.median(r.p99_ms for r in rs), 3),
                   "rps": statistics.median(r.rps for r in rs)} for name, rs in runs.items()}


def estado(stack: BenchStack, edge: str, answers: Path, _events: int, before: str | None = None,
           pids: dict[str, int] | None = None, variants: dict[str, str] | None = None) -> dict:
    """wrk -c8 consultarEstadoFactura on the edge vs the trivial Flask endpoint returning the same bytes and the floor
    (_floor_with: one bare GetStateBatch call of one query per request; and on the edge of another commit, `before`),
    interleaved; pids: each edge URL's server process, for its CPU per request;
    variants: label -> URL of more edges (this code, another setting), measured on estado only."""
    headers, pids, flask_process = stack.client.ingress_headers, dict(pids or {}), []
    invoice_id = requests_.register_one(stack.soap_url, stack.client.ssl_context)
    request = requests_.estado(invoice_id)
    edges = {"edge": edge, **({"edge (before)": before} if before else {})}
    variants = variants or {}
    answer = _answer(edge, request, headers)
    with _flask_with(stack, answers, "estado.xml", answer, flask_process) as flask, \
            _floor_with(stack, answers, "estado", answer, "GetStateBatch", invoice_id) as (floor, floor_pid, floors):
        pids[flask], pids[floor] = flask_process[0].pid, floor_pid
        if before:
            assert _answer(before, request, headers) == answer, "the answers differ"
        assert _answer(floor, request, headers) == answer, "the floor's answer differs"
        targets = {**{f"{label} consultarEstadoFactura": (url, request)
                      for label, url in {**edges, **variants}.items()},
                   **{f"{label} version": (url, requests_.version()) for label, url in edges.items()},
                   "trivial Flask, same bytes": (flask, request), FLOOR: (floor, request)}
        for url, _ in targets.values():
            wrk(url, *request, seconds=2, connections=CONNECTIONS, headers=headers)
        rounds, cpu = {name: [] for name in targets}, {name: [] for name in targets}
        status, status_cpu = _service_pid(stack, "status_service"), {name: [] for name in targets}
        statuses = {floor: floors}  # the floor's own status; every other target's is the stack's
        batches = {name: [0, 0.0] for name in targets}  # queries answered, GetStateBatch calls
        for _ in range(ROUNDS):
            for name, (url, sent) in targets.items():
                cpu_before = cpu_seconds(pids[url]) if url in pids else 0.0
                its_status = statuses.get(url, status)
                status_before = cpu_seconds(its_status) if its_status else 0.0
                calls_before = _batch_calls(stack)
                rounds[name].append(wrk(url, *sent, SECONDS, CONNECTIONS, headers=headers))
                batches[name][0] += rounds[name][-1].requests
                batches[name][1] += _batch_calls(stack) - calls_before
                answered = max(1, rounds[name][-1].requests)
                if url in pids:  # the server's CPU (arbiter and workers) per request answered
                    cpu[name].append((cpu_seconds(pids[url]) - cpu_before) * 1000 / answered)
                if its_status:  # its status service's CPU (all its threads) per request answered
                    status_cpu[name].append((cpu_seconds(its_status) - status_before) * 1000 / answered)
        one_connection = _one_connection({name: target for name, target in targets.items() if "version" not in name},
                                         headers)
    summary = {name: {"rps": statistics.median(r.rps for r in rs), "p99_ms": statistics.median(r.p99_ms for r in rs),
                      "errors": sum(r.errors for r in rs), "rounds_rps": [r.rps for r in rs],
                      **({"server_cpu_ms_per_request": round(statistics.median(cpu[name]), 3)} if cpu[name] else {}),
                      **({"status_cpu_ms_per_request": round(statistics.median(status_cpu[name]), 3)}
                         if status_cpu[name] else {})}
               for name, rs in rounds.items()}
    for name in targets:
        if name.startswith("edge") or name == FLOOR:
            summary[name]["ratio_to_flask"] = round(summary[name]["rps"] / summary["trivial Flask, same bytes"]["rps"],
                                                    3)
        if name.startswith("edge") and "version" not in name:
            summary[name]["ratio_to_floor"] = round(summary[name]["rps"] / summary[FLOOR]["rps"], 3)
        answered, calls = batches[name]
        if calls:  # the GetStateBatch calls the status service started during this target's rounds
            summary[name]["state_batches"] = {"calls": int(calls), "mean_queries_per_call": round(answered / calls, 2)}
    summary["status GetStates, 1 thread"] = {"answered from the projection": _status_calls(stack, [invoice_id], False),
                                             "read_own_writes (broker round trip)": _status_calls(stack, [invoice_id],
                                                                                                  True)}
    summary["one connection (wrk -c1), p50 / p99 ms"] = one_connection
    summary["load"] = f"wrk -t1 -c{CONNECTIONS} -d{SECONDS}s x {ROUNDS} interleaved rounds, ingress mode; median"
    return summary


def paced(stack: BenchStack, edge: str, answers: Path, _events: int, before: str | None = None,
          rounds: int = PACED_ROUNDS, pids: dict[str, int] | None = None, invoices: tuple[int, ...] = (1,)) -> dict:
    """consultarFactura at RATE requests/s, open loop, latency from the scheduled send time; Flask, same bytes (and
    the floor, _floor_with: one bare GetInvoice call per request, its answer a held-receipt hit's; and the edge of
    another commit, `before`): `rounds` runs of each, interleaved, the order alternating. A p99 of
    ~50 requests moves several-fold with any other work on the host, so each target's figures are its median run
    (by p99), and every run's p99 is kept; pids: each edge URL's server process, for the CPU per request of the edge
    and of the status service (all its threads) in each run (for the performance model's per-core ceiling), and the
    bytes the status service read from files per request (its receipt blobs: what the edge workers' held receipts
    spare); invoices: each edge runs once per count given, its requests naming that many distinct invoices in turn
    (registered through the edge up front; after PACED_WARM_S of the same bodies, unmeasured, when more than one)."""
    headers, pids, status = stack.client.ingress_headers, dict(pids or {}), _service_pid(stack, "status_service")
    with ThreadPoolExecutor(REGISTERING) as pool:
        ids = list(pool.map(lambda _: requests_.register_one(stack.soap_url, stack.client.ssl_context),
                            range(max(invoices))))
    bodies = [requests_.factura(i)[1] for i in ids]
    request = requests_.factura(ids[0])
    answer, flask_process = _answer(edge, request, headers), []
    sizes = [len(_answer(edge, (requests_.XML, body), headers)) for body in bodies]  # each visible, and its size
    with _flask_with(stack, answers, "factura.xml", answer, flask_process) as flask, \
            _floor_with(stack, answers, "factura", answer, "GetInvoice", ids[0]) as (floor, floor_pid, floors):
        pids[flask] = flask_process[0].pid  # Flask's CPU per request at the same open-loop rate: the baseline
        pids[floor], statuses = floor_pid, {floor: floors, flask: None}  # each target's status service, if any
        assert _answer(floor, request, headers) == answer, "the floor's answer differs"
        edges = {"edge consultarFactura": edge, **({"edge consultarFactura (before)": before} if before else {})}
        targets = {paced_label(name, count): (url, count) for count in invoices for name, url in edges.items()}
        targets["trivial Flask, same bytes"] = (flask, 1)
        targets[FLOOR] = (floor, 1)
        runs: dict[str, list[dict]] = {name: [] for name in targets}
        for round_ in range(rounds):
            for name, (url, count) in alternating(list(targets.items()), round_):
                if count > 1:  # the edge workers' held receipts as they are after a while of this mix
                    paced_load(url, request, RATE, PACED_WARM_S, headers=headers, bodies=bodies[:count])
                runs[name].append({**_paced_run(url, request, headers, pids.get(url), statuses.get(url, status),
                                                bodies[:count]), "invoices": count})
        found: dict = {"answer_bytes": len(answer), "answer_bytes_range": [min(sizes), max(sizes)]}
        for name, each in runs.items():
            found[name] = _median_run(each)
        for name in runs:  # the CPU per request of the edge and its status against the floor's, medians of the runs
            if name.startswith("edge"):
                found[name]["cpu_ratio_to_floor"] = round(_edge_and_status_cpu(runs[name])
                                                          / _edge_and_status_cpu(runs[FLOOR]), 3)
        found["load"] = (f"{RATE}/s for {PACED_S} s x {rounds} interleaved runs per target; the median run (by p99)"
                         + (f"; invoices in turn: {invoices}, {PACED_WARM_S} s warm-up before each edge run of more "
                            "than one" if invoices != (1,) else ""))
        return found


def _paced_run(url: str, request: tuple[str, bytes], headers, edge: int | None, status: int | None,
               bodies: list[bytes] | None = None) -> dict:
    """One paced run (RATE/s for PACED_S) on url, with the CPU per request answered of its server (edge: the edge's,
    the floor edge's or Flask's pid; arbiter and workers) and of its status service (status, all its threads), the
    bytes that status service read from files per request, and the 1-minute load before and after."""
    load = os.getloadavg()[0]
    edge_cpu = cpu_seconds(edge) if edge else 0.0
    status_cpu = cpu_seconds(status) if status else 0.0
    status_read = _file_bytes_read(status) if status else 0
    run = paced_load(url, request, RATE, PACED_S, headers=headers, bodies=bodies or ())
    answered = max(1, run["requests"])
    if edge:
        run["edge_cpu_ms_per_request"] = round((cpu_seconds(edge) - edge_cpu) * 1000 / answered, 3)
        if status:
            run["status_cpu_ms_per_request"] = round((cpu_seconds(status) - status_cpu) * 1000 / answered, 3)
            run["status_file_bytes_per_request"] = round((_file_bytes_read(status) - status_read) / answered)
    return {**run, "loadavg": [round(load, 1), round(os.getloadavg()[0], 1)]}


def _median_run(runs: list[dict]) -> dict:
    """A target's median run by p99 (a p99 of ~50 requests moves with any other work on the host), its errors over all
    runs, every run's p50 and p99, and the runs."""
    middle = sorted(runs, key=lambda r: r["p99_ms"])[len(runs) // 2]
    return {**middle, "errors": sum(r["errors"] for r in runs), "p50_ms_per_run": [r["p50_ms"] for r in runs],
            "p99_ms_per_run": [r["p99_ms"] for r in runs], "runs": runs}


def alternating(targets: list, round_: int) -> list:
    """The targets in a round's order: as given in even rounds, reversed in odd ones."""
    return targets if round_ % 2 == 0 else targets[::-1]


def _edge_and_status_cpu(runs: list[dict]) -> float:
    """The median over runs of the edge's (or the floor edge's) CPU per request plus its status service's."""
    return statistics.median(r.get("edge_cpu_ms_per_request", 0) + r.get("status_cpu_ms_per_request", 0)
                             for r in runs)


def paced_label(name: str, invoices: int) -> str:
    """A paced target's name: the goal row's own for one invoice, else with the number of invoices sent in turn."""
    return name if invoices == 1 else f"{name}, {invoices} invoices in turn"


def _file_bytes_read(pid: int) -> int:
    """The bytes the process (all its threads) read with read()/pread() so far, page cache or not (rchar)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


GOAL_PAIR, FLOOR_PAIR = "edge → status", "floor edge → floor status"
FLOOR_EDGE_STATUS, EDGE_FLOOR_STATUS = "floor edge → status", "edge → floor status"


def paced_cross(stack: BenchStack, edge: str, answers: Path, _events: int, pids: dict[str, int] | None = None,
                rounds: int = PACED_ROUNDS, edge_env: dict[str, str] | None = None) -> dict:
    """consultarFactura at RATE/s, open loop, on the crossed pairs of edge and status service, to split the goal row's
    excess over the floor between its two sides: the edge → the stack's status service (the goal row), the floor edge
    → the floor status (_floor_with), the floor edge → the stack's status service (its one GetInvoice of a
    held-receipt hit, the request the edge sends) and an edge started like this one (edge_env: its --edge-env) → the
    floor status (answering a request that names no held receipt, a worker's first, with the receipt): `rounds` runs
    of each, interleaved, the order alternating; per pair its median run by p99 and the CPU per request of its edge
    side and its status side; `sides`: each side's own work over its floor, measured against both of the other's."""
    headers, status = stack.client.ingress_headers, _service_pid(stack, "status_service")
    invoice_id = requests_.register_one(stack.soap_url, stack.client.ssl_context)
    request = requests_.factura(invoice_id)
    answer, started = _answer(edge, request, headers), []
    with _floor_status(stack, answers, "cross", answer, "GetInvoice", invoice_id, misses=True) as (
            floor_status, floor_status_pid, files), \
            _floor_edge(stack, files, "GetInvoice", floor_status) as (floor_edge, floor_edge_pid), \
            _floor_edge(stack, files, "GetInvoice", stack.settings.addresses.status) as (floor_edge_2, floor_edge_2_pid), \
            extra_server(stack, "soap_edge", started=started,
                         env={**(edge_env or {}), "VENTANILLA_STATUS_ADDRESS": floor_status}) as edge_2:
        targets = {GOAL_PAIR: (edge, (pids or {}).get(edge), status),
                   FLOOR_PAIR: (floor_edge, floor_edge_pid, floor_status_pid),
                   FLOOR_EDGE_STATUS: (floor_edge_2, floor_edge_2_pid, status),
                   EDGE_FLOOR_STATUS: (edge_2, started[0].pid, floor_status_pid)}
        for url, _, _ in targets.values():
            assert _answer(url, request, headers) == answer, f"{url} answers other bytes"
        runs: dict[str, list[dict]] = {name: [] for name in targets}
        for round_ in range(rounds):
            for name, (url, edge_pid, status_pid) in alternating(list(targets.items()), round_):
                runs[name].append(_paced_run(url, request, headers, edge_pid, status_pid))
    found: dict = {name: _median_run(each) for name, each in runs.items()}
    found["sides"] = cross_sides({name: (statistics.median(r.get("edge_cpu_ms_per_request", 0) for r in each),
                                         statistics.median(r.get("status_cpu_ms_per_request", 0) for r in each))
                                  for name, each in runs.items()})
    found["load"] = (f"{RATE}/s for {PACED_S} s x {rounds} interleaved runs per pair, the order alternating; the median "
                     "run (by p99)")
    return found


def cross_sides(cpu: dict[str, tuple[float, float]]) -> dict:
    """Each side's CPU per request over its floor's (ms), from the crossed pairs' (edge side, status side) medians: the
    edge's over the floor edge's beside the stack's status service and beside the floor status, and the status
    service's over the floor status's behind the edge and behind the floor edge."""
    def over(real: str, floor: str, side: int) -> float:
        return round(cpu[real][side] - cpu[floor][side], 3)

    return {"edge over the floor edge, ms CPU per request": {
                "beside the status service": over(GOAL_PAIR, FLOOR_EDGE_STATUS, 0),
                "beside the floor status": over(EDGE_FLOOR_STATUS, FLOOR_PAIR, 0)},
            "status service over the floor status, ms CPU per request": {
                "behind the edge": over(GOAL_PAIR, EDGE_FLOOR_STATUS, 1),
                "behind the floor edge": over(FLOOR_EDGE_STATUS, FLOOR_PAIR, 1)},
            "edge side + status side, ms CPU per request": {name: round(sum(both), 3) for name, both in cpu.items()}}


def paced_estado(stack: BenchStack, edge: str, answers: Path, _events: int, pids: dict[str, int] | None = None,
                 variants: dict[str, str] | None = None, rounds: int = 2,
                 rates: tuple[float, ...] = ESTADO_RATES) -> dict:
    """consultarEstadoFactura in an open loop (latency from the scheduled send time) at each of `rates`, on this
    edge and each variant edge (e.g. another state batch linger): `rounds` runs of each per rate, interleaved, the
    order rotating; per target its median run by p99, every run's p50 / p99, the edge's CPU per request and the
    queries per GetStateBatch call (what a linger costs callers that do not come back at once)."""
    headers, pids = stack.client.ingress_headers, dict(pids or {})
    request = requests_.estado(requests_.register_one(stack.soap_url, stack.client.ssl_context))
    targets = {"edge": edge, **(variants or {})}
    found: dict = {}
    for rate in rates:
        runs: dict[str, list[dict]] = {name: [] for name in targets}
        for round_ in range(rounds):
            order = list(targets.items())
            for name, url in order[round_ % len(order):] + order[:round_ % len(order)]:
                load, calls = os.getloadavg()[0], _batch_calls(stack)
                cpu = cpu_seconds(pids[url]) if url in pids else 0.0
                run = paced_load(url, request, rate, ESTADO_PACED_S, headers=headers)
                answered = max(1, run["requests"])
                run["edge_cpu_ms_per_request"] = (round((cpu_seconds(pids[url]) - cpu) * 1000 / answered, 3)
                                                  if url in pids else None)
                calls = _batch_calls(stack) - calls
                run["queries_per_call"] = round(answered / calls, 2) if calls else None
                runs[name].append({**run, "loadavg": [round(load, 1), round(os.getloadavg()[0], 1)]})
        found[f"{rate:g}/s"] = {name: {**sorted(each, key=lambda r: r["p99_ms"])[len(each) // 2],
                                     "errors": sum(r["errors"] for r in each),
                                     "p50_ms_per_run": [r["p50_ms"] for r in each],
                                     "p99_ms_per_run": [r["p99_ms"] for r in each]}
                              for name, each in runs.items()}
    found["load"] = (f"{rates} requests/s for {ESTADO_PACED_S} s x {rounds} interleaved runs per target and "
                     "rate; the median run (by p99)")
    return found


def _registered(stack: BenchStack, count: int) -> list[int]:
    """`count` invoices of the benchmark's seller written straight to the log (ids far from the registry's)."""
    from kafka import KafkaProducer

    from ventanilla.adapters.event_codec import encode
    from ventanilla.domain.invoice import InvoiceKey
    from tests.unit.domain.factories import registered

    first, template = 10_000_000 + int(time.time()) % 1_000_000 * 10, registered()
    producer = KafkaProducer(bootstrap_servers=stack.settings.kafka.bootstrap_servers, acks="all", linger_ms=20)
    ids = list(range(first, first + count))
    for i in ids:
        reg = replace(template.invoice, id=i, key=InvoiceKey(SELLER, 2026, "BENCH-", str(i)), submitter_nif=SELLER)
        producer.send(stack.settings.topics.invoice_events, key=str(i).encode(),
                      value=encode(replace(template, invoice_id=i, invoice=reg, event_id=str(uuid.uuid4()))))
    producer.flush()
    producer.close()
    return ids


def group(stack: BenchStack, edge: str, answers: Path, _events: int, before: str | None = None,
          repeats: int = 300) -> dict:
    """consultarGrupoEstadosFactura of 500 ids, sequential, keep-alive; Flask returning the same bytes (300 requests
    each, so the p99 is the third-slowest request rather than the slowest)."""
    headers = stack.client.ingress_headers
    ids = _registered(stack, 500)
    body = "".join(f"<facturaId>{i}</facturaId>" for i in ids)
    request = (requests_.XML, soap.envelope("consultarGrupoEstadosFactura", body))
    deadline = time.monotonic() + 60
    while (answer := _answer(edge, request, headers)).count(b"REGISTRADA") < 500:  # the projection applied them
        assert time.monotonic() < deadline, answer[:400]
        time.sleep(0.2)
    with _flask_with(stack, answers, "grupo.xml", answer) as flask:
        found = {"ids": 500, "answer_bytes": len(answer),
                 "edge": python_load(edge, [request] * repeats, 1, headers=headers).as_dict(),
                 "trivial Flask, same bytes": python_load(flask, [request] * repeats, 1, headers=headers).as_dict()}
        if before:
            found["edge (before)"] = python_load(before, [request] * repeats, 1, headers=headers).as_dict()
    found["status GetStates of the 500 ids, direct"] = _status_calls(stack, ids, False, calls=repeats)
    return found


def lag(stack: BenchStack, edge: str, answers: Path, _events: int, updates: int = 100, rate: float = 25) -> dict:
    """A back-office update acknowledged by the broker (acks=all: what the back-office API waits for before it
    answers) → visible through consultarEstadoFactura, polled every 2 ms over keep-alive connections.

    Traced in two stages by the log's own timestamps: acknowledged → the intake's StatusChanged created (intake
    poll, the end-offsets round trip of `CatchUp.wait`, decide), and created → visible (append acks=all, projector
    fetch, apply + commit, the query)."""
    from tests.e2e import lifecycle as lc

    headers, ids, samples = stack.client.ingress_headers, _registered(stack, updates), []
    acked, seen = {}, {}
    producer = lc.producer(stack.settings)
    path = "/" + edge.split("/", 3)[3]

    def visible(invoice_id: int, acked_at: float) -> None:
        connection, request = connection_to(edge), requests_.estado(invoice_id)
        while True:
            connection.request("POST", path, body=request[1], headers={"Content-Type": request[0], **headers})
            if b"REGISTRADA_RCF" in connection.getresponse().read():
                samples.append(time.perf_counter() - acked_at)
                seen[invoice_id] = time.time()
                connection.close()
                return
            time.sleep(0.002)

    time.sleep(2)  # the registrations above are applied before the first update is timed
    status = _service_pid(stack, "status_service")
    idle_cpu, idle_started = cpu_seconds(status) if status else 0.0, time.perf_counter()
    time.sleep(IDLE_S)  # the status service's idle CPU rate, subtracted from its CPU during the updates (what is
    # left is the intake, the projector and the estado polls every 2 ms that watch each update: an upper bound)
    idle_rate = ((cpu_seconds(status) - idle_cpu) / (time.perf_counter() - idle_started)) if status else 0.0
    status_cpu = cpu_seconds(status) if status else 0.0
    pollers, started = [], time.perf_counter()
    for n, invoice_id in enumerate(ids):
        time.sleep(max(0.0, started + n / rate - time.perf_counter()))
        _, value = lc.state_update(invoice_id, "REGISTRADA_RCF")
        producer.send(stack.settings.topics.backoffice_updates, key=str(invoice_id).encode(), value=value).get(10)
        acked_at, acked[invoice_id] = time.perf_counter(), time.time()
        pollers.append(threading.Thread(target=visible, args=(invoice_id, acked_at), daemon=True))
        pollers[-1].start()
    for poller in pollers:
        poller.join(60)
    status_cpu_ms = ((cpu_seconds(status) - status_cpu - idle_rate * (time.perf_counter() - started)) * 1000 / updates
                     if status else None)
    producer.close()
    created = _changes_created(stack, set(ids))
    stages = {"acked_to_event_created": [created[i] - acked[i] for i in ids if i in created],
              "event_created_to_visible": [seen[i] - created[i] for i in ids if i in created and i in seen]}
    return {"updates": updates, "rate_per_s": rate, **_ms(samples),
            "status_cpu_ms_per_update_and_its_polls": None if status_cpu_ms is None else round(status_cpu_ms, 3),
            "status_idle_cpu_ms_per_s": round(idle_rate * 1000, 1),
            "stages (log timestamps, ms resolution)": {name: _ms([max(0.0, x) for x in xs]) for name, xs in
                                                       stages.items() if xs}}


def _changes_created(stack: BenchStack, ids: set[int]) -> dict[int, float]:
    """When each invoice's StatusChanged was created (the record's timestamp, seconds since the epoch)."""
    from ventanilla.adapters.event_codec import decode
    from ventanilla.adapters.log_reader import read_to_end
    from ventanilla.domain.events import StatusChanged

    created = {}
    for batch in read_to_end(stack.settings.kafka.bootstrap_servers, stack.settings.topics.invoice_events):
        for record in batch:
            event = decode(record.value)
            if event.invoice_id in ids and isinstance(event, StatusChanged):
                created[event.invoice_id] = record.timestamp / 1000
    return created


def rebuild(stack: BenchStack, edge: str, answers: Path, events: int) -> dict:
    """`events` on a fresh topic: a raw kafka-python read, a replay through the domain fold (what `projections
    rebuild` did before the row replay), the row replay with its reader in a second process, alternated with
    `projections rebuild` (the row replay in one process), a new status replica's catch-up (start → ready) on the
    same log, and a new replica that restores a snapshot taken at events − 5 % (`projections snapshot` of a
    projection of that prefix) and replays the tail; with BENCH_BASELINE_CHECKOUT (a checkout of main with its
    protobuf generated) also that checkout's replica, in the same run."""
    from ventanilla.adapters.projection_rebuild import rebuild as rebuild_store
    from ventanilla.adapters.topics import TOPICS, ensure_topics
    from ventanilla.config import Settings
    from tests.benchmarks.bench_lifecycle import raw_read
    from tests.support.backlog import produce_events
    from tests.support.stack_env import free_ports

    bootstrap = stack.settings.kafka.bootstrap_servers
    topic = f"bench.invoice-events.{uuid.uuid4().hex[:8]}"
    settings = Settings.from_env({**stack.env, "VENTANILLA_INVOICE_EVENTS_TOPIC": topic})
    ensure_topics(settings, TOPICS[:1])
    prefix = events - round(events * SNAPSHOT_TAIL / 4) * 4  # whole invoices (registration + 3 updates)
    produced_s = produce_events(bootstrap, topic, prefix)
    snapshot = _snapshot_of_prefix(bootstrap, topic, answers)
    produced_s += produce_events(bootstrap, topic, events - prefix, first_id=prefix // 4 + 1)
    loads = [os.getloadavg()[0]]
    raw = raw_read(bootstrap, topic)
    fold = _fold_replay(bootstrap, topic, answers / "folded.sqlite3")
    pipes, ones = [], []
    for _ in range(2):  # alternated: the order and the machine's load move both alike
        pipes.append(_timed_rebuild(lambda: rebuild_store(bootstrap, topic, answers / "rebuilt.sqlite3",
                                                          reader_process=True)))
        ones.append(_timed_rebuild(lambda: rebuild_store(bootstrap, topic, answers / "rebuilt-1.sqlite3",
                                                         reader_process=False)))
    piped, one = _mean(pipes), _mean(ones)
    raw_again = raw_read(bootstrap, topic)  # the raw read moves between runs: one before and one after
    raw_rate = (raw["events_per_s"] + raw_again["events_per_s"]) / 2
    loads.append(os.getloadavg()[0])
    replica = _replica_catch_up(stack, topic, answers / "replica", free_ports(2))
    from_snapshot = _replica_catch_up(stack, topic, answers / "replica-from-snapshot", free_ports(2), env={
        "VENTANILLA_STATUS_SNAPSHOT": "latest", "VENTANILLA_BLOB_DIR": str(answers / "snapshots"),
        "VENTANILLA_LOG_LEVEL": "INFO"})  # its restore's log line says that it did restore
    result = {"events": events, "produce_s": round(produced_s, 1), "raw_read": [raw, raw_again],
              "domain_fold_replay": fold,
              "rebuild": one, "rebuild_runs": ones, "rebuild_vs_raw_ratio": round(one["events_per_s"] / raw_rate, 3),
              "rebuild_reader_process": piped, "rebuild_reader_process_runs": pipes,
              "rebuild_reader_process_vs_raw_ratio": round(piped["events_per_s"] / raw_rate, 3),
              "rebuild_vs_raw_cpu_ratio": round((raw["cpu_us_per_event"] + raw_again["cpu_us_per_event"]) / 2
                                                / one["cpu_us_per_event"], 3),
              "domain_fold_vs_raw_ratio": round(fold["events_per_s"] / raw_rate, 3),
              "new_status_replica": replica,
              "snapshot": snapshot | {"tail_events": events - prefix},
              "new_status_replica_from_snapshot": from_snapshot,
              "from_snapshot_vs_full_replay_wall_ratio": round(from_snapshot["seconds_to_ready"]
                                                               / replica["seconds_to_ready"], 3),
              "loadavg_around_rebuilds": loads}
    baseline = os.environ.get("BENCH_BASELINE_CHECKOUT")
    if baseline:
        result["new_status_replica_baseline"] = _replica_catch_up(stack, topic, answers / "replica-baseline",
                                                                  free_ports(2), Path(baseline))
    return result


def _own_and_children_cpu_s() -> float:
    """User + system CPU seconds of this process and of its children waited for (the rebuild's reader process)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed_rebuild(run) -> dict:
    """Wall and CPU (children included) of one rebuild."""
    cpu = _own_and_children_cpu_s()
    report = run()
    cpu = _own_and_children_cpu_s() - cpu
    return {"seconds": round(report.seconds, 1), "events_per_s": round(report.events_per_s),
            "cpu_us_per_event": round(cpu / report.events * 1e6, 1)}


def _mean(runs: list[dict]) -> dict:
    """The mean of each figure of several runs."""
    return {key: round(sum(r[key] for r in runs) / len(runs), 1) for key in runs[0]}


def _snapshot_of_prefix(bootstrap: str, topic: str, answers: Path) -> dict:
    """A projection of the log so far (the offline rebuild), then `projections snapshot`'s copy, hash and pointer."""
    from ventanilla.adapters.blob_store import DirectoryBlobStore
    from ventanilla.adapters.projection_rebuild import rebuild as rebuild_store
    from ventanilla.adapters.projection_snapshot import take

    source = answers / "prefix.sqlite3"
    rebuild_store(bootstrap, topic, source, reader_process=True)
    started, cpu = time.perf_counter(), time.process_time()
    pointer = take(source, topic, DirectoryBlobStore(answers / "snapshots"))
    return {"events": sum(pointer.offsets.values()), "bytes": pointer.size,
            "take_s": round(time.perf_counter() - started, 2), "take_cpu_s": round(time.process_time() - cpu, 2)}


def _fold_replay(bootstrap: str, topic: str, path: Path) -> dict:
    """The whole log through the domain fold (decode, evolve, rows) in batches: the rebuild before the row replay."""
    from ventanilla.adapters.event_codec import decode_facts
    from ventanilla.adapters.log_reader import read_to_end
    from ventanilla.adapters.projection_rebuild import fresh_store

    store, count, started, cpu = fresh_store(path), 0, time.perf_counter(), time.process_time()
    for records in read_to_end(bootstrap, topic):
        count += store.apply_many([(decode_facts(r.value), r.topic, r.partition, r.offset) for r in records])
    store.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"events": count, "seconds": round(seconds, 1), "events_per_s": round(count / seconds),
            "cpu_us_per_event": round(cpu / count * 1e6, 1)}


def _replica_catch_up(stack: BenchStack, topic: str, state: Path, ports: list[int], code: Path | None = None,
                      env: dict[str, str] | None = None) -> dict:
    """A status service process of its own (fresh state) on the topic: seconds from start to ready (code: another
    checkout's product code, for a baseline; env: more settings, e.g. a snapshot to restore)."""
    import subprocess
    import sys

    from ventanilla.config import Settings
    from ventanilla.stack import STATUS_HEALTH

    env = {**stack.env, "VENTANILLA_INVOICE_EVENTS_TOPIC": topic, "VENTANILLA_STATE_DIR": str(state),
           "VENTANILLA_STATUS_METRICS_ADDRESS": "off",
           "VENTANILLA_STATUS_ADDRESS": f"127.0.0.1:{ports[0]}",
           "VENTANILLA_BACKOFFICE_ADDRESS": f"127.0.0.1:{ports[1]}",
           "VENTANILLA_BACKOFFICE_GROUP": f"bench-{uuid.uuid4().hex[:6]}",
           "VENTANILLA_NOTICES_GROUP": f"bench-{uuid.uuid4().hex[:6]}", **(env or {})}
    if code is not None:
        env["PYTHONPATH"] = f"{code}:{code / 'services' / 'status'}"
    serving = STATUS_HEALTH  # the status port requires mutual TLS
    replica = Settings.from_env(env)
    started = time.perf_counter()
    state.mkdir(parents=True, exist_ok=True)
    logs = state / "status.log"
    with logs.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "status_service"], env=env, stdout=out, stderr=out)
    try:
        while not serving(replica, timeout_s=5):
            assert process.poll() is None, "the replica stopped"
            assert time.perf_counter() - started < 600, "the replica did not get ready"
            time.sleep(0.1)
        seconds, cpu_s = time.perf_counter() - started, _cpu_s(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    return {"seconds_to_ready": round(seconds, 1), "cpu_s_to_ready": round(cpu_s, 1), "cpu_count": os.cpu_count(),
            "code": str(code) if code else "this checkout",
            "restored_snapshot": "restored the latest snapshot" in logs.read_text(errors="replace")}


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

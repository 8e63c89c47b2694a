"""Issue 15, the write path: `python tests/benchmarks/bench_write_path.py [--clients 8] [--invoices 240]
[--stack-env VAR=VALUE]...` (--stack-env: a setting of every stack's processes, e.g. the edge's registry channels).

One run gives, with the machine and load average and the baselines of the same run:
1. the registry's stages alone (CPU per signed ~100 KB invoice; their sum is the floor), and the same stages back to
   back in a process per core under as many closed-loop threads as clients, beside the first stack with nothing
   else to do (its broker answers their appends): the invoices/s no stack of this design exceeds here
   (stages_ceiling.py); with the cores ÷ the stage sum and ÷ the best stack's CPU per invoice;
2. enviarFactura over MTOM from closed-loop clients over TLS to a private stack (signatures required), with the
   CPU of every stack process (edges, registry, status, cancellation, broker) per invoice, against the floor, also
   net of the stack's idle CPU per second, and the broker's by thread (JIT compilers, request handlers, network);
3. the same requests to an edge whose registry answers a prepared registration at once: the edge-only ceiling;
4. 20 concurrent 8 MB MTOM uploads to one edge worker (prepared registration): peak RSS over idle per upload.
To measure another commit's product with the same script, put its `ventanilla` and `services/*` first on
PYTHONPATH (docs/benchmarks.md, "Write path (issue 15)").
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))  # after PYTHONPATH: another commit's product can be measured with these scripts
# bound now, from PYTHONPATH when set: bench_registry puts this checkout first on sys.path when imported
import registry_service  # noqa: E402,F401
import soap_edge  # noqa: E402,F401
import ventanilla  # noqa: E402,F401

from tests.benchmarks.bench_registry import big_invoice, machine, p99, stack_env, tls_session  # noqa: E402
from tests.benchmarks.closed_loop import timed_clients  # noqa: E402
from tests.benchmarks.benchstack import cpu_seconds, env_settings, issue_client  # noqa: E402
from tests.benchmarks.registry_stages import _registration, measure_stages  # noqa: E402
from tests.benchmarks.stages_ceiling import stages_ceiling  # noqa: E402
from tests.e2e import soap  # noqa: E402
from tests.support.signing_pki import build_signing_pki  # noqa: E402

IDLE_S = 5.0
LARGE_UPLOADS, LARGE_BYTES = 20, 8 * 1024 * 1024 - 64 * 1024


def own_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process, its own threads only."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of one process by thread name (digits folded: `C2 CompilerThre`, `data-plane-kafk`, ...)."""
    found: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            raw = (task / "stat").read_text()
        except OSError:
            continue
        name = "".join("N" if c.isdigit() else c for c in raw[raw.index("(") + 1:raw.rindex(")")])
        fields = raw.rsplit(")", 1)[1].split()
        found[name] = found.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def stack_processes(state: Path) -> list[int]:
    """Every process started for this stack (its environment names the stack's state directory)."""
    entry = f"VENTANILLA_STATE_DIR={state}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and entry in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def closed_loop(url: str, invoices: list[bytes], clients: int, session) -> dict:
    """`clients` threads, each posting its next invoice as soon as the last one is answered."""
    def sender():
        own = session()

        def send(facturae: bytes) -> float:
            content_type, body = soap.enviar_mtom(facturae)
            started = time.perf_counter()
            answer = own.post(url, data=body, headers={"Content-Type": content_type, "SOAPAction": '""'}, timeout=120)
            elapsed = (time.perf_counter() - started) * 1000
            assert answer.status_code == 200 and b"enviarFacturaResponse" in answer.content, answer.text[:300]
            return elapsed
        return send

    latencies, wall = timed_clients(invoices, clients, sender)
    ordered = sorted(latencies)
    return {"invoices": len(latencies), "seconds": round(wall, 2), "per_s": round(len(latencies) / wall, 1),
            "p50_ms": round(ordered[len(ordered) // 2], 1), "p99_ms": round(p99(latencies), 1)}


def whole_stack(env: dict[str, str], pki, clients: int, count: int, idle_s: float = IDLE_S) -> dict:
    """The private stack under closed-loop load: throughput, latency, CPU per invoice of all its processes."""
    client = issue_client(env)
    url = f"https://127.0.0.1:{env['VENTANILLA_SOAP_PORT']}/ws/v2/FacturaService"
    run = uuid.uuid4().hex[:6]
    warm = [pki.sign(big_invoice(f"W{run}-{i}")) for i in range(2 * clients)]
    invoices = [pki.sign(big_invoice(f"B{run}-{i}")) for i in range(count)]
    closed_loop(url, warm, clients, lambda: tls_session(client))
    pids = stack_processes(Path(env["VENTANILLA_STATE_DIR"]))
    idle = {p: own_cpu(p) for p in pids}
    time.sleep(idle_s)  # the stack with nothing to do: its pollers' CPU per second
    before = {p: own_cpu(p) for p in pids}
    idle_ms_per_s: dict[str, float] = {}
    for pid in pids:
        name = process_name(pid)
        idle_ms_per_s[name] = idle_ms_per_s.get(name, 0.0) + (before[pid] - idle[pid]) * 1000 / idle_s
    broker = [p for p in pids if process_name(p) == "kafka broker"]
    threads_before = thread_cpu(broker[0]) if broker else {}
    clients_cpu = time.process_time()  # this process: the clients' TLS and MTOM, on the stack's cores too
    result = closed_loop(url, invoices, clients, lambda: tls_session(client))
    clients_cpu = time.process_time() - clients_cpu
    threads = {name: (cpu - threads_before.get(name, 0.0)) * 1000 / result["invoices"]
               for name, cpu in (thread_cpu(broker[0]) if broker else {}).items()}
    per_process: dict[str, float] = {}
    for pid in pids:
        name = process_name(pid)
        per_process[name] = per_process.get(name, 0.0) + (own_cpu(pid) - before[pid]) * 1000 / result["invoices"]
    # what each invoice adds to the stack's cost per second while idle (pollers, heartbeats, the broker's own
    # threads): the margin that stays when the throughput rises and the per-second costs spread thinner
    idle_per_invoice = sum(idle_ms_per_s.values()) * result["seconds"] / result["invoices"]
    # each edge process's share (gunicorn's workers take connections as they come: their loads differ)
    edge_by_pid = {str(pid): round((own_cpu(pid) - before[pid]) * 1000 / result["invoices"], 2)
                   for pid in pids if process_name(pid) == "soap_edge"}
    return {**result, "stack_processes": len(pids), **registry_connections(pids, env["VENTANILLA_REGISTRY_ADDRESS"]),
            "rss_mb_by_process": rss_mb(pids), "edge_cpu_ms_per_invoice_by_pid": edge_by_pid,
            "cpu_ms_per_invoice": round(sum(per_process.values()), 2),
            "clients_cpu_ms_per_invoice": round(clients_cpu * 1000 / result["invoices"], 2),
            "cpu_ms_per_invoice_over_idle": round(sum(per_process.values()) - idle_per_invoice, 2),
            "cpu_ms_per_invoice_by_process": {k: round(v, 2) for k, v in sorted(per_process.items())},
            "idle_cpu_ms_per_s_by_process": {k: round(v, 1) for k, v in sorted(idle_ms_per_s.items())},
            "broker_cpu_ms_per_invoice_by_thread": {k: round(v, 2) for k, v in
                                                    sorted(threads.items(), key=lambda kv: -kv[1]) if v >= 0.05}}


def cpu_by_name(pids: list[int]) -> dict[str, float]:
    """CPU seconds so far of the stack's processes, added up by the stack's name for them."""
    found: dict[str, float] = {}
    for pid in pids:
        name = process_name(pid)
        found[name] = found.get(name, 0.0) + own_cpu(pid)
    return found


def registry_connections(pids: list[int], address: str) -> dict:
    """The registry's listening sockets and the edge's connections to it, by registry process (the kernel's
    SO_REUSEPORT pick), matched end to end: an edge socket's (local, remote) is the registry's (remote, local)."""
    port = int(address.rsplit(":", 1)[1])
    listening: dict[str, int] = {}
    accepted: dict[tuple, str] = {}
    edge_ends: dict[tuple, int] = {}
    for pid in pids:
        name = process_name(pid)
        try:
            sockets = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.Error:
            continue
        for sock in sockets:
            if sock.status == psutil.CONN_LISTEN and sock.laddr.port == port:
                listening[name] = listening.get(name, 0) + 1
            elif sock.status == psutil.CONN_ESTABLISHED and sock.laddr.port == port:
                accepted[tuple(sock.raddr), tuple(sock.laddr)] = name
            elif sock.status == psutil.CONN_ESTABLISHED and sock.raddr and sock.raddr.port == port and \
                    name == "soap_edge":
                edge_ends[tuple(sock.laddr), tuple(sock.raddr)] = pid
    by_process: dict[str, int] = {}
    by_worker: dict[int, dict[str, int]] = {}
    for ends, edge_pid in edge_ends.items():
        name = accepted.get(ends, "unmatched")
        by_process[name] = by_process.get(name, 0) + 1
        worker = by_worker.setdefault(edge_pid, {})
        worker[name] = worker.get(name, 0) + 1
    return {"registry_listeners_by_process": dict(sorted(listening.items())),
            "edge_registry_connections_by_process": dict(sorted(by_process.items())),
            "edge_registry_connections_by_worker": {str(pid): dict(sorted(w.items()))
                                                    for pid, w in sorted(by_worker.items())}}


def rss_mb(pids: list[int]) -> dict[str, float]:
    """Resident memory (MB) by the stack's process names, added up over processes of one name."""
    found: dict[str, float] = {}
    for pid in pids:
        try:
            rss = psutil.Process(pid).memory_info().rss / 1e6
        except psutil.Error:
            continue
        name = process_name(pid)
        found[name] = round(found.get(name, 0.0) + rss, 1)
    return dict(sorted(found.items()))


def process_name(pid: int) -> str:
    """The stack's name for a process: the service module it runs (a registry child: its index), or the broker."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return "gone"
    if b"-m" in argv:
        child = next((e.split(b"=", 1)[1].decode() for e in environ if e.startswith(b"VENTANILLA_REGISTRY_PROCESS=")),
                     None)
        return argv[argv.index(b"-m") + 1].decode() + ("" if child is None else f" {child}")
    return "kafka broker" if any(b"kafka" in a for a in argv) else argv[0].decode().rsplit("/", 1)[-1]


def prepared_registry(answer):
    """A RegistryService that answers every submission with the same real registration (the edge's own cost)."""
    from ventanilla.api.v1 import services_pb2_grpc

    class PreparedRegistry(services_pb2_grpc.RegistryServiceServicer):
        def SubmitInvoice(self, request, context):  # the unary method, for an edge before issue 15's streaming
            return answer

        def SubmitInvoiceStream(self, request_iterator, context):
            for _ in request_iterator:  # received in full, as the registry would
                pass
            return answer

    return PreparedRegistry()


def prepared_answer(sample: bytes, env: dict[str, str]):
    """A real SubmitInvoiceResponse: a registration of the sample with a sealed receipt."""
    from registry_service.receipt import ReceiptIssuer, new_csv
    from registry_service.seal import dev_seal
    from registry_service.wiring import build_sede
    from ventanilla.adapters.clock import SystemClock
    from ventanilla.adapters.invoice_messages import registration_to_pb, state_to_pb
    from ventanilla.api.v1 import services_pb2 as pb
    from ventanilla.config import Settings
    from ventanilla.domain.invoice import DocumentRef, State
    from ventanilla.facturae.parser import parse_facturae_tree, read_facturae

    document = read_facturae(parse_facturae_tree(sample)[0])
    invoice = _registration(1, document, DocumentRef("0" * 64, len(sample)))
    csv = new_csv()
    issuer = ReceiptIssuer(dev_seal(Path(env["VENTANILLA_STATE_DIR"]) / "prepared-seal"),
                           build_sede(Settings.from_env(env)), SystemClock())
    message = registration_to_pb(invoice)
    message.state = state_to_pb(State.REGISTRADA)
    return pb.SubmitInvoiceResponse(invoice=message, receipt_pdf=issuer(invoice, csv), receipt_csv=csv)


def edge_only(answer, invoices: list[bytes], clients: int, workers: int) -> dict:
    """The same closed loop against an edge (same server settings) whose registry answers at once."""
    import requests

    from tests.integration.edge_server import start_edge
    from tests.support.stack_env import free_ports

    with tempfile.TemporaryDirectory() as state:
        edge = start_edge(Path(state), free_ports(4), registry=prepared_registry(answer),
                          VENTANILLA_SOAP_WORKERS=str(workers))
        cert, ca = edge.client("99999999R"), str(edge.pki.cert("ca"))
        try:
            def session():
                own = requests.Session()
                own.cert, own.verify, own.trust_env = cert, ca, False
                return own

            closed_loop(edge.url, invoices[:2 * clients], clients, session)
            before = cpu_seconds(edge.process.pid)
            result = closed_loop(edge.url, invoices, clients, session)
            edge_cpu = cpu_seconds(edge.process.pid) - before  # the edge's gunicorn arbiter and workers
            return {**result, "edge_cpu_ms_per_request": round(edge_cpu * 1000 / result["invoices"], 2)}
        finally:
            edge.stop()


def large_uploads(answer, count: int) -> dict:
    """`count` concurrent MTOM uploads of ~8 MB to one edge worker: peak RSS over idle, and the burst's time
    against one upload alone (how much the uploads were serialized)."""
    import requests

    from tests.benchmarks import requests_
    from tests.integration.edge_server import start_edge
    from tests.support.stack_env import free_ports

    content_type, body = requests_.enviar_mtom(LARGE_BYTES)
    with tempfile.TemporaryDirectory() as state:
        edge = start_edge(Path(state), free_ports(4), registry=prepared_registry(answer))
        cert, ca = edge.client("99999999R"), str(edge.pki.cert("ca"))

        def upload(answers: list) -> None:
            try:
                answers.append(requests.post(edge.url, data=body, headers={"Content-Type": content_type},
                                             cert=cert, verify=ca, timeout=120).status_code)
            except requests.RequestException as error:
                answers.append(type(error).__name__)

        try:
            upload([])  # warm-up
            alone, alone_cpu = time.perf_counter(), cpu_seconds(edge.process.pid)
            upload([])
            alone, alone_cpu = time.perf_counter() - alone, cpu_seconds(edge.process.pid) - alone_cpu
            idle, peak, answers, done = edge.rss_mb(), [0], [], threading.Event()

            def watch() -> None:
                while not done.wait(0.02):
                    peak[0] = max(peak[0], edge.rss_mb())

            watcher = threading.Thread(target=watch)
            watcher.start()
            threads = [threading.Thread(target=upload, args=(answers,)) for _ in range(count)]
            started, edge_cpu, own_cpu = time.perf_counter(), cpu_seconds(edge.process.pid), time.process_time()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)
            burst = time.perf_counter() - started
            edge_cpu, own_cpu = cpu_seconds(edge.process.pid) - edge_cpu, time.process_time() - own_cpu
            done.set()
            watcher.join()
        finally:
            edge.stop()
    payload_mb, in_flight = len(body) / 1e6, admitted(len(body), count, edge.settings)
    # the burst's CPU (the edge; this process: the clients' TLS and the prepared registry) spread over every core:
    # the least wall time the burst could take here; wall / that near 1 means CPU-bound, not waiting in turn
    floor_s = max(edge_cpu, (edge_cpu + own_cpu) / os.cpu_count())
    return {"uploads": count, "body_mb": round(payload_mb, 2), "idle_mb": idle, "peak_mb": peak[0],
            "over_idle_per_upload_mb": round((peak[0] - idle) / count, 1),
            "per_upload_over_payload": round((peak[0] - idle) / count / payload_mb, 2),
            "in_flight": in_flight, "per_request_in_flight_over_payload": round((peak[0] - idle) / in_flight / payload_mb, 2),
            "one_alone_s": round(alone, 2), "burst_s": round(burst, 2),
            "burst_over_alone": round(burst / alone, 1), "answers": sorted(set(map(str, answers))),
            "edge_cpu_ms_per_upload": {"alone": round(alone_cpu * 1000), "burst": round(edge_cpu * 1000 / count)},
            "bench_process_cpu_s": round(own_cpu, 2), "burst_over_cpu_floor": round(burst / floor_s, 2)}


def admitted(length: int, count: int, settings) -> int:
    """How many of `count` concurrent MTOM bodies of `length` one measured edge worker serves at once: its threads,
    and its memory budget (this branch) or its fixed large-body slots (before: VENTANILLA_SOAP_MAX_LARGE_BODIES)."""
    from soap_edge.http import body, server  # the measured product's (PYTHONPATH first)

    if not hasattr(body.LargeBodies, "cost"):
        return min(count, server.THREADS, settings.soap_max_large_bodies)  # a commit before the budget: flat settings
    threads = getattr(server, "THREADS", None) or settings.edge.threads  # a constant before VENTANILLA_SOAP_THREADS
    budget = settings.edge.large_body_memory_mb * 1024 * 1024
    return min(count, threads, budget // body.LargeBodies(budget, settings.edge.max_body_bytes, 0).cost(
        {"CONTENT_LENGTH": str(length)}, mtom=True))


def before_env(env: dict[str, str], product: Path) -> dict[str, str]:
    """The stack's environment running another commit's product (an exported tree with generated protobuf)."""
    paths = [str(product), *(str(p) for p in sorted((product / "services").iterdir()) if p.is_dir())]
    return {**env, "PYTHONPATH": os.pathsep.join(paths), "BENCH_CWD": str(product)}


def stack_variant(env: dict[str, str], pki, args, stages_sample: bytes | None = None) -> dict:
    """One private stack (started, loaded, stopped): its closed-loop figures, and the stages measured beside it."""
    cwd = Path(env.pop("BENCH_CWD", ROOT))  # `python -m` puts its cwd first on sys.path
    up = subprocess.run([sys.executable, "-m", "ventanilla.cli", "up", "--timeout", "240"], env=env, cwd=cwd,
                        capture_output=True, text=True, timeout=300)
    if up.returncode != 0:
        raise RuntimeError(f"`ventanilla up` failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}")
    out = {"load_average_start": round(os.getloadavg()[0], 1)}
    try:
        if stages_sample is not None:
            stages = measure_stages(stages_sample, pki, env)
            out["stages_cpu_ms"] = {name: round(cpu, 2) for name, (cpu, _) in stages.items()}
            out["floor_cpu_ms"] = round(sum(cpu for cpu, _ in stages.values()), 2)
            pids = stack_processes(Path(env["VENTANILLA_STATE_DIR"]))
            out["stages_ceiling"] = {"load_average_start": round(os.getloadavg()[0], 1), **stages_ceiling(
                stages_sample, pki, env, os.cpu_count(), args.clients, args.invoices, lambda: cpu_by_name(pids)),
                "load_average_end": round(os.getloadavg()[0], 1)}
        out.update(whole_stack(env, pki, args.clients, args.invoices, args.idle_s))
    finally:
        subprocess.run([sys.executable, "-m", "ventanilla.cli", "down"], env=env, check=True, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    out["load_average_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(out), file=sys.stderr, flush=True)  # each stack as it ends: a later failure loses nothing
    return out


def reportlab_accelerated() -> bool:
    """Whether reportlab runs its C accelerator (rl-accel) here: without it the receipt stage costs ~2.5 ms more."""
    from reportlab.lib import rl_accel

    return "fp_str" in rl_accel._c_funcs


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--invoices", type=int, default=240)
    parser.add_argument("--skip-uploads", action="store_true")
    parser.add_argument("--idle-s", type=float, default=IDLE_S,
                        help="how long each stack's idle CPU per second is measured (10 ms ticks: 5 s resolves 2 ms/s)")
    parser.add_argument("--edge-only", action="store_true",
                        help="short mode: no private stack (stages, whole stack); the edge-only run and the uploads")
    parser.add_argument("--registry-processes", default="1,2",
                        help="one stack per count of registry processes (VENTANILLA_REGISTRY_PROCESSES), in order")
    parser.add_argument("--stack-env", action="append", default=[], metavar="VAR=VALUE",
                        help="a setting of every stack's processes (repeatable), e.g. "
                        "VENTANILLA_EDGE_REGISTRY_CHANNELS=32; the stacks otherwise get none of the caller's VENTANILLA_*")
    parser.add_argument("--before", type=Path, help="another commit's product tree (git archive + generated "
                        "protobuf): its stack runs first, as the baseline of the same run")
    args = parser.parse_args()
    settings = env_settings(args.stack_env)
    report = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": " ".join(["bench_write_path.py", *sys.argv[1:]]), "pythonpath": os.environ.get("PYTHONPATH", ""),
              "stack_env": settings, "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                       text=True).stdout.strip()}
    report["reportlab_accelerated"] = reportlab_accelerated()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pki = build_signing_pki(tmp / "pki")
        sample = pki.sign(big_invoice("BENCH-STAGES"))
        report["load_average_start"] = round(os.getloadavg()[0], 1)
        if args.edge_only:
            env = stack_env(tmp / "state", pki)
            answer = prepared_answer(sample, env)
        else:
            if args.before is not None:
                report["before"] = stack_variant(before_env({**stack_env(tmp / "state-before", pki), **settings},
                                                            args.before), pki, args)
            report["stacks"] = {}
            for count in [int(c) for c in args.registry_processes.split(",")]:
                env = {**stack_env(tmp / f"state-{count}", pki), "VENTANILLA_REGISTRY_PROCESSES": str(count), **settings}
                first = not report["stacks"]
                report["stacks"][f"registry_processes_{count}"] = stack_variant(env, pki, args,
                                                                                sample if first else None)
                if first:
                    report["stages_cpu_ms"] = report["stacks"][f"registry_processes_{count}"].pop("stages_cpu_ms")
                    report["floor_cpu_ms"] = report["stacks"][f"registry_processes_{count}"].pop("floor_cpu_ms")
                    report["stages_ceiling"] = report["stacks"][f"registry_processes_{count}"].pop("stages_ceiling")
                    answer = prepared_answer(sample, env)
            report["stack"] = max(report["stacks"].values(), key=lambda stack: stack["per_s"])
        invoices = [pki.sign(big_invoice(f"E{i}")) for i in range(args.invoices)]
        report["edge_only"] = edge_only(answer, invoices, args.clients, int(env.get("VENTANILLA_SOAP_WORKERS", "2")))
        if not args.skip_uploads:
            report["large_uploads"] = large_uploads(answer, LARGE_UPLOADS)
    if "stack" in report:
        ceiling, floor = report["edge_only"]["per_s"], report["floor_cpu_ms"]
        for stack in [*report["stacks"].values(), *([report["before"]] if "before" in report else [])]:
            stack["over_edge_only"] = round(stack["per_s"] / ceiling, 3)
            stack["cpu_over_floor"] = round(stack["cpu_ms_per_invoice"] / floor, 2)
            stack["busy_cores"] = round(stack["per_s"] * stack["cpu_ms_per_invoice"] / 1000, 2)
            # the cores' time per invoice that neither the stack nor the clients used: idle, or the host's other work
            stack["idle_or_host_core_ms_per_invoice"] = round(os.cpu_count() * 1000 / stack["per_s"] - stack[
                "cpu_ms_per_invoice"] - stack.get("clients_cpu_ms_per_invoice", 0.0), 2)
        report["stack_over_edge_only"] = report["stack"]["over_edge_only"]  # the goal rows: the best stack of the run
        report["stack_cpu_over_floor"] = report["stack"]["cpu_over_floor"]
        # what the cores allow: every core busy with the stages alone, or with the best stack's CPU per invoice
        cores = os.cpu_count()
        report["cpu_ceilings"] = {"cores": cores, "stage_sum_per_s": round(cores * 1000 / floor, 1),
                                  "whole_stack_per_s": round(cores * 1000 / report["stack"]["cpu_ms_per_invoice"], 1)}
    report["load_average_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(report, indent=2))
    out = ROOT / "var" / "bench" / ("write_path_edge.json" if args.edge_only else "write_path.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

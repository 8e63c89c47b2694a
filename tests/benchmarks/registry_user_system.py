"""Issue 15: the registry's user and system CPU, minor page faults and context switches per invoice, in a stack and
in a tight loop of its stages.

    .venv/bin/python tests/benchmarks/registry_user_system.py [--rounds 3] [--invoices 120] [--clients 8] [--runs 40]

callgrind (registry_instructions.py) counts user-space instructions only; this gives what it cannot see. A private
stack (`ventanilla up`, 1 registry process, signatures required), closed-loop clients as in bench_write_path.py;
per round the registry process's user and system time, minor faults and context switches from /proc/<pid>/stat and
status. Between rounds, registry_stages.py's stages in this process, each loop measured by getrusage (user, system,
minor faults, context switches of this process: its Kafka producer's thread included, as in process_time), the
use case as the service wires it called in this process one invoice after another (stages alternating), the
loops' very calls made in the use case's order (each invoice's stages in turn, instead of each stage's calls in
turn: the same instructions), the intake over one document repeated against fresh documents, and the
same loops once more by the loop's thread alone, both with the stack idle and while another process (this script,
--load-child) keeps the stack busy with the same closed loop: the same instructions on a machine busy or not.
Writes var/bench/registry_user_system.json.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_registry import big_invoice, stack_env, tls_session  # noqa: E402
from tests.benchmarks.bench_registry_threads import Stack  # noqa: E402
from tests.benchmarks.bench_write_path import closed_loop  # noqa: E402
from tests.benchmarks.benchstack import issue_client  # noqa: E402
from tests.benchmarks.registry_stages import stage_calls  # noqa: E402
from tests.support.signing_pki import build_signing_pki  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def registry_counters(pid: int) -> dict[str, float]:
    """User and system ms, minor faults and context switches of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    switches = 0
    for task in Path(f"/proc/{pid}/task").iterdir():  # a process's status counts its first thread's only
        try:
            status = dict(line.split(":", 1) for line in (task / "status").read_text().splitlines())
        except OSError:
            continue
        switches += sum(int(status[k]) for k in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))
    return {"user_ms": int(fields[11]) * 1000 / TICK, "system_ms": int(fields[12]) * 1000 / TICK,
            "minor_faults": int(fields[7]), "context_switches": switches}


def own_counters(who: int = resource.RUSAGE_SELF) -> dict[str, float]:
    """The same for this process, or this thread (getrusage)."""
    usage = resource.getrusage(who)
    return {"user_ms": usage.ru_utime * 1000, "system_ms": usage.ru_stime * 1000, "minor_faults": usage.ru_minflt,
            "context_switches": usage.ru_nvcsw + usage.ru_nivcsw}


def per(before: dict, after: dict, count: int) -> dict[str, float]:
    return {k: (after[k] - before[k]) / count for k in before}


def loop_stages(calls, runs: int, who: int = resource.RUSAGE_SELF) -> dict[str, float]:
    """Every stage's loop of `runs` calls (arguments prepared outside), added up: per invoice."""
    total = dict.fromkeys(("user_ms", "system_ms", "minor_faults", "context_switches"), 0.0)
    for step, prepare in calls.values():
        for i in range(3):
            step(prepare(-1 - i))
        arguments = [prepare(i) for i in range(runs)]
        before = own_counters(who)
        for argument in arguments:
            step(argument)
        for key, value in per(before, own_counters(who), runs).items():
            total[key] += value
    return total


def alternating_stages(calls, runs: int) -> dict[str, float]:
    """The same calls as loop_stages, in another order: every stage of one invoice, then the next invoice's (as the
    use case runs them); this thread's counters, per invoice."""
    for i in range(3):
        for step, prepare in calls.values():
            step(prepare(-1 - i))
    arguments = {name: [prepare(i) for i in range(runs)] for name, (_, prepare) in calls.items()}
    before = own_counters(resource.RUSAGE_THREAD)
    for i in range(runs):
        for name, (step, _) in calls.items():
            step(arguments[name][i])
    return {k: round(v, 3) for k, v in per(before, own_counters(resource.RUSAGE_THREAD), runs).items()}


def intake_same_and_fresh(intake, same: bytes, fresh: list[bytes]) -> dict[str, float]:
    """FacturaeIntake.accept over one document again and again, and over as many different signed documents (the
    same size and shape, so about the same instructions), alternated in halves; this thread's user ms per call."""
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    for document in fresh[:2]:
        intake.accept(document, now)
    half = len(fresh) // 2
    totals = {"same document": 0.0, "fresh documents": 0.0}
    for part in (fresh[:half], fresh[half:]):
        for label, documents in (("same document", [same] * len(part)), ("fresh documents", part)):
            before = own_counters(resource.RUSAGE_THREAD)
            for document in documents:
                intake.accept(document, now)
            totals[label] += own_counters(resource.RUSAGE_THREAD)["user_ms"] - before["user_ms"]
    return {label: round(ms / (2 * half), 3) for label, ms in totals.items()}


def in_process_use_case(env: dict[str, str], tmp: Path):
    """The registry's use case as its service wires it (`build(settings)`), in this process: its own state directory
    and topic, the stack's broker, trust store and seal; called with one invoice after another."""
    sys.path.insert(0, str(ROOT / "services" / "registry"))
    from registry_service.__main__ import build
    from ventanilla.adapters.topics import ensure_topics
    from ventanilla.cli_stack import seal_env
    from ventanilla.config import Settings

    from tests.support.ports import free_ports

    own = {**env, **seal_env(Settings.from_env(env)), "VENTANILLA_STATE_DIR": str(tmp / "in-process"),
           "VENTANILLA_REGISTRY_ADDRESS": f"127.0.0.1:{free_ports(1)[0]}",  # its server is built, never started
           "VENTANILLA_INVOICE_EVENTS_TOPIC": f"bench.in-process.{uuid.uuid4().hex[:8]}"}
    settings = Settings.from_env(own)
    ensure_topics(settings)
    return build(settings)


def serial_use_case(registrar, invoices: list[bytes], nif: str) -> dict[str, float]:
    """Registrar.submit for each invoice in turn, this thread's counters (the wired service's Kafka clients have
    threads of their own in this process, not counted; compare with the loop's thread alone)."""
    before = own_counters(resource.RUSAGE_THREAD)
    for facturae in invoices:
        registrar.submit(nif, facturae, [])
    return {k: round(v, 3) for k, v in per(before, own_counters(resource.RUSAGE_THREAD), len(invoices)).items()}


def load_child(directory: Path, clients: int) -> None:
    """Post the invoices in directory to the stack its env.json describes, from closed-loop clients."""
    env = json.loads((directory / "env.json").read_text())
    client = issue_client(env)
    url = f"https://127.0.0.1:{env['VENTANILLA_SOAP_PORT']}/ws/v2/FacturaService"
    invoices = [p.read_bytes() for p in sorted(directory.glob("*.xml"))]
    print(json.dumps(closed_loop(url, invoices, clients, lambda: tls_session(client))))


def busy_loop(calls, runs: int, env: dict, invoices: list[bytes], clients: int, tmp: Path) -> dict:
    """The loop (this thread's counters) while another process keeps the stack busy; whether it outlasted it."""
    directory = tmp / f"load-{uuid.uuid4().hex[:6]}"
    directory.mkdir()
    (directory / "env.json").write_text(json.dumps(env))
    for i, invoice in enumerate(invoices):
        (directory / f"{i:05d}.xml").write_bytes(invoice)
    child = subprocess.Popen([sys.executable, __file__, "--load-child", str(directory), "--clients", str(clients)],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    time.sleep(3)  # its clients connected and the stack busy
    measured = loop_stages(calls, runs, resource.RUSAGE_THREAD)
    outlasted = child.poll() is None
    out, _ = child.communicate(timeout=600)
    return {**{k: round(v, 3) for k, v in measured.items()}, "load_outlasted_loop": outlasted,
            "load": json.loads(out.strip().splitlines()[-1])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--invoices", type=int, default=120)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=40, help="calls per stage in the tight loop, per round")
    parser.add_argument("--load-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_child:
        load_child(args.load_child, args.clients)
        return 0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    report = {"command": " ".join(["registry_user_system.py", *sys.argv[1:]]), "commit": commit.stdout.strip(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rounds": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pki = build_signing_pki(tmp / "pki")
        registry = Stack("registry", stack_env(tmp / "stack", pki), pki)
        try:
            registry.up(args.clients)
            env = registry.env
            (pid,) = registry.registries
            run = uuid.uuid4().hex[:6]

            def load(prefix: str, count: int) -> dict:
                invoices = registry.invoices(count, prefix)
                before = registry_counters(pid)
                result = registry.send(invoices, args.clients)
                return {**result, **{k: round(v, 3) for k, v in
                                     per(before, registry_counters(pid), result["invoices"]).items()}}

            calls, close = stage_calls(pki.sign(big_invoice("BENCH-STAGES")), pki, env)
            service = in_process_use_case(env, tmp)
            from ventanilla.config import Settings
            from ventanilla.facturae.configured import build_intake
            from ventanilla.facturae.parser import parse_facturae_tree, read_facturae

            same_document = pki.sign(big_invoice("NIF"))
            nif = read_facturae(parse_facturae_tree(same_document)[0]).supplier_nif
            serial_use_case(service.registrar, [pki.sign(big_invoice(f"U{run}-w{j}")) for j in range(5)], nif)
            try:
                for i in range(args.rounds):
                    load_average = os.getloadavg()[0]
                    stack = load(f"R{i}-", args.invoices)
                    loop = {k: round(v, 3) for k, v in loop_stages(calls, args.runs).items()}
                    serial = serial_use_case(service.registrar, [pki.sign(big_invoice(f"U{run}-{i}-{j}"))
                                                                 for j in range(args.runs)], nif)
                    alone = {k: round(v, 3) for k, v in
                             loop_stages(calls, args.runs, resource.RUSAGE_THREAD).items()}
                    alternating = alternating_stages(calls, args.runs)
                    intake = intake_same_and_fresh(
                        build_intake(Settings.from_env(env)), same_document,
                        [pki.sign(big_invoice(f"F{run}-{i}-{j}")) for j in range(2 * args.runs)])
                    invoices = [pki.sign(big_invoice(f"L{i}-{run}-{j}")) for j in range(2 * args.invoices)]
                    busy = busy_loop(calls, args.runs, env, invoices, args.clients, tmp)
                    report["rounds"].append({"load_average": [round(load_average, 1),
                                                              round(os.getloadavg()[0], 1)],
                                             "stack_registry": stack, "stages_loop": loop,
                                             "use_case_in_process_serial_thread": serial,
                                             "stages_loop_thread_stack_idle": alone,
                                             "stages_alternating_thread_stack_idle": alternating,
                                             "intake_user_ms_same_against_fresh": intake,
                                             "stages_loop_thread_stack_busy": busy})
                    print(json.dumps(report["rounds"][-1]), file=sys.stderr, flush=True)
            finally:
                close()
                service.events.close()
        finally:
            registry.down()
    report["medians"] = {
        where: {k: round(statistics.median(r[where][k] for r in report["rounds"]), 3)
                for k in ("user_ms", "system_ms", "minor_faults", "context_switches")}
        for where in ("stack_registry", "stages_loop", "use_case_in_process_serial_thread",
                      "stages_loop_thread_stack_idle", "stages_alternating_thread_stack_idle",
                      "stages_loop_thread_stack_busy")}
    print(json.dumps(report, indent=2))
    target = ROOT / "var" / "bench" / "registry_user_system.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

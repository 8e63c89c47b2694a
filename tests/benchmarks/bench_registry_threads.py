"""Issue 15: the registry process's CPU per invoice by thread, against its stages measured in the same run.

`python tests/benchmarks/bench_registry_threads.py [--short] [--rounds 4] [--invoices 120] [--clients 8]
[--registry-processes 1] [--before DIR]`

A private stack (1 registry process, or --registry-processes N; signatures required) under closed-loop
enviarFactura; per round, the registry processes' CPU per invoice from /proc/<pid>/task/<tid>/stat, each thread named by `py-spy dump` (the gRPC handler
pool, the Kafka producer's I/O thread, the gRPC server's poller, the append-health probe; threads that py-spy does
not list are gRPC core's C threads). The stages (registry_stages.py) are measured in this process beside the stack:
their sum is the floor. With --before DIR (another commit's product tree, as bench_write_path.py's) a second stack
runs that product and the rounds alternate between the two stacks. Writes var/bench/registry_threads.json.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))

from tests.benchmarks.bench_registry import big_invoice, machine, stack_env, tls_session  # noqa: E402
from tests.benchmarks.bench_write_path import before_env, closed_loop, process_name, stack_processes  # noqa: E402
from tests.benchmarks.benchstack import issue_client  # noqa: E402
from tests.benchmarks.registry_stages import measure_stages  # noqa: E402
from tests.support.signing_pki import build_signing_pki  # noqa: E402

PY_SPY = Path(sys.executable).with_name("py-spy")
THREAD = re.compile(r'^Thread (\d+) \([a-z]+\): "([^"]*)"', re.MULTILINE)
GROUPS = (("ThreadPoolExecutor", "gRPC handlers"), ("-network-thread", "Kafka producer I/O"),
          ("(_serve)", "gRPC poller"), ("append-probe", "append-health probe"))


def thread_names(pid: int) -> dict[int, str]:
    """The process's Python threads by native id (py-spy dump); empty without py-spy."""
    if not PY_SPY.exists():
        return {}
    dump = subprocess.run([str(PY_SPY), "dump", "--pid", str(pid), "--nonblocking"], capture_output=True, text=True,
                          timeout=60).stdout
    return {int(tid): name for tid, name in THREAD.findall(dump)}


def group(name: str | None) -> str:
    """A thread's part of the registry: what runs the use case, what the gRPC server and the Kafka client add."""
    if name is None:
        return "gRPC core (C threads)"
    return next((label for key, label in GROUPS if key in name), "other Python threads")


def task_cpu(pid: int) -> dict[int, tuple[float, int]]:
    """CPU seconds (user + system) and context switches (voluntary + forced) of each thread of a process."""
    found = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            status = (task / "status").read_text()
        except OSError:
            continue
        switches = sum(int(line.split()[1]) for line in status.splitlines() if line.endswith("ctxt_switches", 0,
                       line.find(":")))
        found[int(task.name)] = ((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), switches)
    return found


class Stack:
    """One private stack (`ventanilla up`), its registry processes and a client for its edge (also the stack of
    registry_instructions.py and registry_user_system.py)."""

    def __init__(self, name: str, env: dict[str, str], pki, timeout_s: float = 240):
        self.name, self.env, self.pki, self.names, self.timeout_s = name, env, pki, {}, timeout_s
        self.cwd = Path(env.pop("BENCH_CWD", ROOT))  # `python -m` puts its cwd first on sys.path

    def up(self, clients: int, warm_up: int | None = None) -> dict:
        """Start it; then a warm-up of `warm_up` invoices (4 per client by default): every handler thread started,
        the broker's hot paths compiled. The warm-up's closed_loop result."""
        up = subprocess.run([sys.executable, "-m", "ventanilla.cli", "up", "--timeout", str(int(self.timeout_s))],
                            env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=self.timeout_s + 60)
        if up.returncode != 0:
            raise RuntimeError(f"`ventanilla up` ({self.name}) failed:\n{up.stdout[-2000:]}\n{up.stderr[-2000:]}")
        self.client = issue_client(self.env)
        self.url = f"https://127.0.0.1:{self.env['VENTANILLA_SOAP_PORT']}/ws/v2/FacturaService"
        self.registries = [p for p in stack_processes(Path(self.env["VENTANILLA_STATE_DIR"]))
                           if process_name(p).startswith("registry_service")]  # with N processes: parent, children
        return self.load(4 * clients if warm_up is None else warm_up, clients)

    def invoices(self, count: int, prefix: str | None = None) -> list[bytes]:
        """`count` signed invoices, their numbers new to the stack."""
        run = uuid.uuid4().hex[:6]
        return [self.pki.sign(big_invoice(f"{prefix or self.name[0]}{run}-{i}")) for i in range(count)]

    def send(self, invoices: list[bytes], clients: int) -> dict:
        """The invoices from `clients` closed-loop clients (bench_write_path's closed_loop)."""
        return closed_loop(self.url, invoices, clients, lambda: tls_session(self.client))

    def load(self, count: int, clients: int, prefix: str | None = None) -> dict:
        return self.send(self.invoices(count, prefix), clients)

    def round(self, count: int, clients: int) -> dict:
        """`count` invoices: the registry's CPU per invoice, by part, with the load average around it."""
        load_start, before = os.getloadavg()[0], self.task_cpu()
        result = self.load(count, clients)
        after = self.task_cpu()
        for pid in self.registries:
            self.names.update(thread_names(pid))
        parts: dict[str, float] = {}
        switches: dict[str, float] = {}
        for tid, (cpu, switched) in after.items():
            part = group(self.names.get(tid))
            cpu_before, switched_before = before.get(tid, (0.0, 0))
            parts[part] = parts.get(part, 0.0) + (cpu - cpu_before) * 1000 / result["invoices"]
            switches[part] = switches.get(part, 0.0) + (switched - switched_before) / result["invoices"]
        total = sum(parts.values())
        return {"load_average": [round(load_start, 1), round(os.getloadavg()[0], 1)], **result,
                "registry_cpu_ms_per_invoice": round(total, 2),
                "outside_handlers_ms": round(total - parts.get("gRPC handlers", 0.0), 2),
                "by_part_ms": {k: round(v, 2) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])},
                "context_switches_per_invoice": {k: round(v, 1) for k, v in sorted(switches.items(),
                                                                                    key=lambda kv: -kv[1])}}

    def task_cpu(self) -> dict[int, tuple[float, int]]:
        """Every registry process's threads (thread ids are unique across processes)."""
        return {tid: cpu for pid in self.registries for tid, cpu in task_cpu(pid).items()}

    def down(self) -> None:
        subprocess.run([sys.executable, "-m", "ventanilla.cli", "down"], env=self.env, cwd=self.cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=self.timeout_s + 60)


def stages(pki, env: dict[str, str]) -> dict[str, float]:
    """The registry's stages measured in this process (CPU ms per invoice each), with the load average then."""
    measured = measure_stages(pki.sign(big_invoice("BENCH-STAGES")), pki, env)
    print(json.dumps({"stages_at_load": round(os.getloadavg()[0], 1)}), file=sys.stderr, flush=True)
    return {name: round(cpu, 2) for name, (cpu, _) in measured.items()}


def summary(rounds: list[dict], floor: float) -> dict:
    """Medians over the rounds of one stack, against the floor."""
    median = {key: round(statistics.median(r[key] for r in rounds), 2)
              for key in ("registry_cpu_ms_per_invoice", "outside_handlers_ms")}
    parts = {part for r in rounds for part in r["by_part_ms"]}
    median["by_part_ms"] = {p: round(statistics.median(r["by_part_ms"].get(p, 0.0) for r in rounds), 2)
                            for p in sorted(parts)}
    median["registry_over_floor"] = round(median["registry_cpu_ms_per_invoice"] / floor, 3)
    median["registry_above_floor_ms"] = round(median["registry_cpu_ms_per_invoice"] - floor, 2)
    return median


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true", help="2 rounds of 48 invoices per stack")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--invoices", type=int, default=120)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--registry-processes", default="1", help="VENTANILLA_REGISTRY_PROCESSES of the stacks")
    parser.add_argument("--before", type=Path, help="another commit's product tree (bench_write_path.py's --before): "
                        "its stack runs beside this one, rounds alternated")
    args = parser.parse_args()
    rounds, count = (2, 48) if args.short else (args.rounds, args.invoices)
    report = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": " ".join(["bench_registry_threads.py", *sys.argv[1:]]),
              "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                       text=True).stdout.strip(), "load_average_start": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pki = build_signing_pki(tmp / "pki")
        processes = {"VENTANILLA_REGISTRY_PROCESSES": args.registry_processes}
        stacks = [Stack("after", {**stack_env(tmp / "after", pki), **processes}, pki)]
        if args.before is not None:
            env = before_env({**stack_env(tmp / "before", pki), **processes}, args.before)
            stacks.insert(0, Stack("before", env, pki))
        try:
            for stack in stacks:
                stack.up(args.clients)
            report["rounds"] = {stack.name: [] for stack in stacks}
            report["stages_cpu_ms"] = [stages(pki, stacks[-1].env)]  # before and after the rounds: the load moves
            for i in range(rounds):
                for stack in (stacks if i % 2 == 0 else stacks[::-1]):
                    report["rounds"][stack.name].append(stack.round(count, args.clients))
                    print(json.dumps({stack.name: report["rounds"][stack.name][-1]}), file=sys.stderr, flush=True)
            report["stages_cpu_ms"].append(stages(pki, stacks[-1].env))
        finally:
            for stack in stacks:
                stack.down()
    floor = report["floor_cpu_ms"] = round(statistics.mean(sum(s.values()) for s in report["stages_cpu_ms"]), 2)
    report["summary"] = {name: summary(r, floor) for name, r in report["rounds"].items()}
    if "before" in report["summary"]:
        after, before = report["summary"]["after"], report["summary"]["before"]
        report["after_over_before"] = {key: round(after[key] / before[key], 3)
                                       for key in ("registry_cpu_ms_per_invoice", "outside_handlers_ms")}
    report["load_average_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(report, indent=2))
    out = ROOT / "var" / "bench" / "registry_threads.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

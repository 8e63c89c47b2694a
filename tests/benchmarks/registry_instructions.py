"""Issue 15: the registry's instructions per invoice (valgrind's callgrind) in a real stack and in a tight loop.

    .venv/bin/python tests/benchmarks/registry_instructions.py [--invoices 48] [--warm-up 16] [--clients 8]
        [--idle-s 20] [--runs 10] [--out DIR] [--no-marks]

Instructions do not depend on the machine's noise, unlike the registry's CPU time per invoice. (1) A private stack
(`ventanilla up`, 1 registry process, signatures required) whose registry process runs under callgrind
(tests/benchmarks/callgrind_shim/sitecustomize.py on the stack's PYTHONPATH); after a warm-up its counters are
zeroed, N invoices come from closed-loop clients (bench_write_path's), a dump; then S idle seconds, a dump: the
instructions per invoice net of the idle rate, the parts the shim marks (servicer, use case, intake, receipt, append,
storage, claims: each called through its own C function) and the calls into the GIL. (2) The stages of
registry_stages.py in a tight loop under callgrind, each loop cut out by dumps at getppid, on the stack's broker.
(3) The difference per invoice by shared object and by function (self cost). Writes
var/bench/registry_instructions.json; the dumps stay in DIR (`callgrind_annotate DIR/<dump>` reads them).
The stack is bench_registry_threads.py's `Stack`. A short end-to-end check (~4 min instead of ~10):
`--invoices 8 --warm-up 8 --clients 4 --idle-s 5 --runs 2`.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SHIM = Path(__file__).resolve().parent / "callgrind_shim"
TGKILL = 234  # x86-64 syscall number: a signal to one thread of a process
MARKS = {  # the shim's trampolines: C function -> the part whose instructions are its inclusive cost
    "_operator_call": "servicer (RegistryApi._submit: use case + response)",
    "starmap_next": "use case (Registrar.submit)",
    "accumulate_next": "intake.accept (parse, schema, signature, rules)",
    "takewhile_next": "receipt (ReceiptIssuer)",
    "filterfalse_next": "append (EventLog.append, caller's thread)",
    "dropwhile_next": "storage (DirectoryBlobStore.put)",
    "functools_reduce": "claims (SqliteClaims.claim + confirm)",
    "take_gil": "take_gil (GIL hand-offs)",
    "drop_gil": "drop_gil",
}


def totals(dump: Path) -> int:
    """The dump's instruction count: its cost lines added up (`totals:`), checked against its `summary:`."""
    found = {line.split(":")[0]: int(line.split()[1]) for line in dump.read_text(errors="replace").splitlines()
             if line.startswith(("totals:", "summary:"))}
    if found["totals"] != found.get("summary", found["totals"]):
        print(f"{dump}: totals {found['totals']:,} against summary {found['summary']:,}", file=sys.stderr)
    return found["totals"]


class Profile(NamedTuple):
    """One callgrind dump: self instructions by (function, object); the calls into each function and their
    instructions (its inclusive cost, exact for a function that never calls itself)."""

    self_cost: Counter
    called: Counter
    calls: Counter


def read_profile(dump: Path) -> Profile:
    """Parse a callgrind dump (one event, Ir; compressed names; recursion suffixes 'N folded)."""
    names: dict[tuple[str, str], str] = {}
    self_cost, called, calls = Counter(), Counter(), Counter()
    obj = fn = cobj = cfn = None
    in_call = False

    def name(kind: str, text: str) -> str:
        ident, _, rest = text.partition(" ")
        if not ident.startswith("("):
            return text
        if rest:
            names[kind, ident] = rest
        return names.get((kind, ident), ident)

    for line in dump.read_text(errors="replace").splitlines():
        if not line or line[0] == "#":
            continue
        if line[0].isdigit() or line[0] in "+-*":
            parts = line.split()
            cost = int(parts[1]) if len(parts) > 1 else 0
            if in_call:
                called[cfn, cobj] += cost
                in_call, cobj = False, obj
            else:
                self_cost[fn, obj] += cost
        elif line.startswith("ob="):
            obj = cobj = name("ob", line[3:])
        elif line.startswith("fn="):
            fn, cobj = name("fn", line[3:]).split("'")[0], obj
        elif line.startswith("cob="):
            cobj = name("ob", line[4:])
        elif line.startswith("cfn="):
            cfn = name("fn", line[4:]).split("'")[0]
        elif line.startswith("calls="):
            calls[cfn, cobj] += int(line[6:].split()[0])
            in_call = True
        elif line.startswith(("fl=", "fi=", "fe=", "cfi=", "cfl=")):
            name("fl", line.split("=", 1)[1])
    return Profile(self_cost, called, calls)


def inclusive(profile: Profile, function: str) -> tuple[int, int]:
    """Instructions of the calls into `function` (any object), and how many calls."""
    return (sum(v for (f, _), v in profile.called.items() if f == function),
            sum(v for (f, _), v in profile.calls.items() if f == function))


def by_object(costs: dict[tuple[str, str], int]) -> Counter:
    """Costs by (function, object) added up by the object's file name."""
    grouped: Counter = Counter()
    for (_, obj), n in costs.items():
        grouped[Path(obj or "?").name] += n
    return grouped


# --- the stages in a tight loop (a child under callgrind) -------------------------------------------------------

def stages_child(data: Path, runs: int) -> None:
    """Each stage's loop between two getppid() calls (callgrind dumps there); the names, in order, on stdout."""
    sys.path.insert(0, str(ROOT / "services" / "registry"))
    from tests.benchmarks.registry_stages import stage_calls

    pki = SimpleNamespace(trust_store=data / "pki" / "trust", crls=data / "pki" / "crls")
    calls, close = stage_calls((data / "invoice.xml").read_bytes(), pki, dict(os.environ))
    try:
        for step, prepare in calls.values():
            for i in range(3):
                step(prepare(-1 - i))
            arguments = [prepare(i) for i in range(runs)]
            os.getppid()
            for argument in arguments:
                step(argument)
            os.getppid()
    finally:
        close()
    print(json.dumps(list(calls)))


def stages(env: dict[str, str], data: Path, runs: int, out: Path) -> dict:
    """Instructions per call of each stage, with the loops' costs by (function, object)."""
    run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/stages.out",
                          "--dump-before=getppid", sys.executable, __file__, "--stages-child", str(data),
                          "--runs", str(runs)], capture_output=True, text=True, cwd=out,
                         env={**env, "PYTHONHASHSEED": "0"})
    if run.returncode != 0:
        raise RuntimeError(run.stderr[-3000:])
    names = json.loads(run.stdout.strip().splitlines()[-1])
    dumps = sorted(out.glob("stages.out.*"), key=lambda p: int(p.suffix[1:]))
    loops = dumps[-2 * len(names):][1::2]  # each loop's dump follows the dump at its start
    per_call, costs = {}, Counter()
    for name, dump in zip(names, loops):
        per_call[name] = totals(dump) / runs
        for key, n in read_profile(dump).self_cost.items():
            costs[key] += n / runs
    return {"per_call": per_call, "dumps": [str(d) for d in loops], "self_costs": costs}


# --- the stack ------------------------------------------------------------------------------------------------

def dump(out: Path, pid: int, seen: set[Path]) -> Path:
    """Ask the registry for a dump (the shim's SIGUSR2, to its main thread: a signal another thread takes would wait
    for the main thread's next bytecode, and an idle registry's main thread waits on a lock); the new dump file."""
    if ctypes.CDLL(None, use_errno=True).syscall(TGKILL, pid, pid, signal.SIGUSR2) != 0:
        raise OSError(ctypes.get_errno(), "tgkill")
    for _ in range(600):
        fresh = [p for p in out.glob(f"registry.{pid}.*") if p not in seen]
        if fresh:
            time.sleep(2)
            seen.update(fresh)
            if len(fresh) > 1:
                raise RuntimeError(f"more than one dump: {fresh} (does the registry call getppid?)")
            return fresh[0]
        time.sleep(1)
    raise RuntimeError("callgrind wrote no dump")


def stack(args, pki, tmp: Path, out: Path) -> dict:
    """The registry's instructions per invoice in a private stack, net of its idle rate."""
    from tests.benchmarks.bench_registry import stack_env
    from tests.benchmarks.bench_registry_threads import Stack

    env = stack_env(tmp / "stack", pki)
    env.update({"PYTHONPATH": os.pathsep.join(filter(None, [str(SHIM), env.get("PYTHONPATH")])),
                "BENCH_CALLGRIND_DIR": str(out), "BENCH_CALLGRIND_MARKS": "0" if args.no_marks else "1",
                # the work is the same; under callgrind each call takes ~50 times as long
                "VENTANILLA_WRITE_DEADLINE_S": "600"})
    registry = Stack("registry", env, pki, timeout_s=1200)
    try:
        warm = registry.up(args.clients, warm_up=args.warm_up)
        (pid,) = registry.registries
        print(json.dumps({"warm_up": warm}), file=sys.stderr, flush=True)
        seen = set(out.glob(f"registry.{pid}.*"))
        invoices = registry.invoices(args.invoices, "B")
        dump(out, pid, seen)  # the start and the warm-up: not measured
        started = time.monotonic()
        result = registry.send(invoices, args.clients)
        batch_s = time.monotonic() - started
        batch = dump(out, pid, seen)
        idle_started = time.monotonic()
        time.sleep(args.idle_s)
        idle = dump(out, pid, seen)
        idle_s = time.monotonic() - idle_started
        print(json.dumps({"batch": result, "batch_s": round(batch_s, 1)}), file=sys.stderr, flush=True)
        loop_env = {k: v for k, v in env.items() if not k.startswith("BENCH_")}
        loop_env["PYTHONPATH"] = os.pathsep.join(p for p in env["PYTHONPATH"].split(os.pathsep) if p != str(SHIM))
        loop = stages(loop_env, tmp, args.runs, out)  # on the stack's broker, the registry idle beside it
        return {"pid": pid, "warm_up": warm, "batch": result, "batch_s": batch_s, "idle_s": idle_s,
                "batch_dump": batch, "idle_dump": idle, "loop": loop}
    finally:
        registry.down()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=48, help="the measured batch (default 48)")
    parser.add_argument("--warm-up", type=int, default=16, help="invoices before the counters are zeroed")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--idle-s", type=float, default=20.0, help="idle seconds measured after the batch")
    parser.add_argument("--runs", type=int, default=10, help="calls per stage in the tight loop")
    parser.add_argument("--out", type=Path, help="where the dumps stay (default: a new directory under var/bench)")
    parser.add_argument("--no-marks", action="store_true", help="the registry without the shim's trampolines")
    parser.add_argument("--stages-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages_child:
        stages_child(args.stages_child, args.runs)
        return 0
    from tests.benchmarks.bench_registry import big_invoice
    from tests.support.signing_pki import build_signing_pki

    out = (args.out or ROOT / "var" / "bench" / f"callgrind-{time.strftime('%H%M%S', time.gmtime())}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    report = {"command": " ".join(["registry_instructions.py", *sys.argv[1:]]), "commit": commit.stdout.strip(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_average_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pki = build_signing_pki(tmp / "pki")
        (tmp / "invoice.xml").write_bytes(pki.sign(big_invoice("BENCH-STAGES")))
        measured = stack(args, pki, tmp, out)
        loop = measured.pop("loop")
    report["load_average_end"] = os.getloadavg()[0]
    n = measured["batch"]["invoices"]
    idle_rate = totals(measured["idle_dump"]) / measured["idle_s"]
    stack_total = totals(measured["batch_dump"]) / n
    idle_share = idle_rate * measured["batch_s"] / n
    batch, idle = read_profile(measured["batch_dump"]), read_profile(measured["idle_dump"])
    marked = {label: inclusive(batch, fn) for fn, label in MARKS.items()}
    stack_self = {k: v / n for k, v in batch.self_cost.items()}
    idle_self = {k: v * measured["batch_s"] / measured["idle_s"] / n for k, v in idle.self_cost.items()}
    floor = sum(loop["per_call"].values())
    report.update({
        "stack": {k: measured[k] for k in ("warm_up", "batch", "batch_s", "idle_s")},
        "dumps": {"batch": str(measured["batch_dump"]), "idle": str(measured["idle_dump"]), "stages": loop["dumps"]},
        "calls_in_batch": {label: calls for label, (_, calls) in marked.items()},
        "M_instructions_per_invoice": {
            "registry process in the stack": round(stack_total / 1e6, 3),
            "of which its idle rate over the batch's wall time": round(idle_share / 1e6, 3),
            "registry net of idle": round((stack_total - idle_share) / 1e6, 3),
            "stages in a tight loop (sum)": round(floor / 1e6, 3),
            "net ÷ stages": round((stack_total - idle_share) / floor, 3)},
        "stages_M_per_call": {k: round(v / 1e6, 3) for k, v in loop["per_call"].items()},
        "marked_parts_M_per_invoice": {k: round(v / n / 1e6, 3) for k, (v, _) in marked.items()},
        "idle_M_per_s": round(idle_rate / 1e6, 3),
    })
    net_obj = by_object(stack_self)
    net_obj.subtract(by_object(idle_self))
    net_obj.subtract(by_object(loop["self_costs"]))
    report["stack_minus_stages_by_object_M"] = {k: round(v / 1e6, 3) for k, v in net_obj.most_common()
                                                if abs(v) >= 2e4}
    net_fn = Counter(stack_self)
    net_fn.subtract(Counter(idle_self))
    net_fn.subtract(loop["self_costs"])
    report["stack_minus_stages_by_function_M"] = [
        [f, Path(o or "?").name, round(v / 1e6, 3)] for (f, o), v in sorted(net_fn.items(), key=lambda kv: -abs(kv[1]))[:60]]
    print(json.dumps(report, indent=2, ensure_ascii=False))
    target = ROOT / "var" / "bench" / "registry_instructions.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

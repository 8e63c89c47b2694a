"""Stop times (issue 9): seconds from SIGTERM to exit, per service, idle, under load and with the broker frozen.

    .venv/bin/python tests/benchmarks/bench_stop.py [--short] [--before REV] [--services status,registry,...]
                                                    [--rounds N] [--bound S]

One broker and one whole stack (tests/reliability/stack.py); for each round, service, scenario and variant
(this checkout, and with --before REV that commit's code first on the service's PYTHONPATH, alternated), the
service is started, put in the scenario, sent SIGTERM (to its own pid, as Kubernetes does), and the seconds until
it has exited are taken (its process group too: a gunicorn worker left behind counts), against the service's
documented bound (BOUNDS_S). Scenarios: `idle`;
`load` (8 clients: enviarFactura of fresh invoices and consultarEstadoFactura through the edge, from 3 s
before the SIGTERM until the exit); `frozen` (the same load, the broker SIGSTOPped 3 s before the SIGTERM, thawed
after the exit). A process still there after --bound seconds is dumped with py-spy (when installed) and killed;
its row says "> bound". Prints a table and writes var/bench/stop.json.
"""
from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.benchstack import export_tree  # noqa: E402
from tests.e2e import soap  # noqa: E402
from tests.reliability.stack import ChaosStack, chaos_stack  # noqa: E402
from tests.support.invoices import fresh_invoice  # noqa: E402

SERVICES = ("status", "registry", "cancellation", "soap-edge", "portal")
SOURCES = {"status": "services/status", "registry": "services/registry", "cancellation": "services/cancellation",
           "soap-edge": "services/soap-edge", "portal": "services/portal"}
SAMPLE = "v3.2.2/invopop_invoice-face_unsigned.xml"
BOUNDS_S = {"status": 25.0, "registry": 60.0, "cancellation": 60.0, "soap-edge": 60.0, "portal": 20.0}  # the goal:
# docs/operations.md, "Stopping" (default deadlines; tests/deploy/test_manifests.py takes them from the code)
XML = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}


class Load:
    """Clients submitting fresh invoices and asking states through the edge until stopped."""

    def __init__(self, stack: ChaosStack, clients: int = 8):
        cert, ca = stack.client
        self._url, self._stop, self.answers = stack.settings.edge.url, threading.Event(), 0
        self._sessions = [requests.Session() for _ in range(clients)]
        for session in self._sessions:
            session.cert, session.verify, session.trust_env = cert, ca, False
        self._threads = [threading.Thread(target=self._run, args=(s, i), daemon=True)
                         for i, s in enumerate(self._sessions)]

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=70)

    def _run(self, session: requests.Session, index: int) -> None:
        while not self._stop.is_set():
            if index % 2:
                body = f"<facturae>{base64.b64encode(fresh_invoice(SAMPLE).document).decode()}</facturae>"
                operation = "enviarFactura"
            else:
                body, operation = f"<idFactura>{index + 1}</idFactura>", "consultarEstadoFactura"
            try:
                session.post(self._url, data=soap.envelope(operation, body), headers=XML, timeout=60)
                self.answers += 1
            except requests.RequestException:
                self._stop.wait(0.2)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _dump(pid: int, into: Path) -> None:
    """py-spy's dump of every process of the group (diagnosis of a stop that hangs)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return
    with into.open("ab") as out:
        for candidate in [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]:
            subprocess.run([spy, "dump", "--locals", "--pid", str(candidate)], stdout=out, stderr=out, timeout=60)


def stop_time(stack: ChaosStack, name: str, bound_s: float, dumps: Path) -> float | None:
    """SIGTERM the service's pid, wait for it and its group to end; seconds, or None past the bound (killed)."""
    process = stack.own.processes.pop(name)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    deadline = started + bound_s
    while process.poll() is None or _group_alive(process.pid):
        if time.monotonic() > deadline:
            _dump(process.pid, dumps)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return None
        time.sleep(0.02)
    return time.monotonic() - started


def measure(stack: ChaosStack, name: str, scenario: str, bound_s: float, dumps: Path) -> float | None:
    """Start the service, put it in the scenario, and time its stop."""
    stack.own.start(name, timeout_s=180)
    if scenario == "idle":
        time.sleep(1.0)
        return stop_time(stack, name, bound_s, dumps)
    with Load(stack):
        time.sleep(3.0 if scenario == "load" else 0.0)
        if scenario == "frozen":
            time.sleep(0.5)
            stack.freeze()
            time.sleep(3.0)
        try:
            return stop_time(stack, name, bound_s, dumps)
        finally:
            if scenario == "frozen":
                stack.thaw()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="one round, status and soap-edge only")
    parser.add_argument("--before", help="also measure this commit's code (git archive), alternated")
    parser.add_argument("--services", default=",".join(SERVICES))
    parser.add_argument("--scenarios", default="idle,load,frozen")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bound", type=float, default=90.0, help="seconds before a stop counts as hung (killed)")
    args = parser.parse_args(argv)
    services = ("status", "soap-edge") if args.short else tuple(args.services.split(","))
    rounds = 1 if args.short else args.rounds
    scratch = Path(tempfile.mkdtemp(prefix="bench-stop-"))
    variants, trees = {"after": {}}, {}
    if args.before:
        tree = export_tree(args.before, scratch / "before", ("ventanilla", *SOURCES.values()))
        for mo in (ROOT / "services").glob("portal/portal_service/translations/*/LC_MESSAGES/*.mo"):
            shutil.copy(mo, tree / mo.relative_to(ROOT))
        variants = {"before": {n: {"PYTHONPATH": f"{tree}:{tree / s}"} for n, s in SOURCES.items()}, **variants}
        trees = {"before": tree}
    rows: list[dict] = []
    load_start = os.getloadavg()[0]
    stack = chaos_stack(scratch / "stack", {})
    try:
        for round_, name, scenario in itertools.product(range(rounds), services, args.scenarios.split(",")):
            order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
            for variant in order:
                if name in stack.own.processes:
                    stack.own.stop(name)
                stack.own.own_env[name] = variants[variant].get(name, {})
                os.chdir(trees.get(variant, ROOT))  # `python -m` puts its working directory first on the path
                load = os.getloadavg()[0]
                seconds = measure(stack, name, scenario, args.bound, scratch / f"dump-{name}-{scenario}-{variant}.txt")
                within = seconds is not None and seconds <= BOUNDS_S[name]
                rows.append({"round": round_, "service": name, "scenario": scenario, "variant": variant,
                             "seconds": seconds, "bound_s": BOUNDS_S[name], "within_bound": within, "load": load})
                shown = f"{seconds:.1f} s" if seconds is not None else f"> {args.bound:.0f} s (killed; {scratch})"
                print(f"round {round_} {name:<12} {scenario:<6} {variant:<6} {shown:>8}  bound {BOUNDS_S[name]:.0f} s "
                      f"{'within' if within else 'PAST'}  load {load:.1f}", flush=True)
            stack.own.own_env[name] = {}
            os.chdir(ROOT)
            if name not in stack.own.processes:
                stack.own.start(name, timeout_s=180)
    finally:
        stack.close()
    result = {"load_start": load_start, "load_end": os.getloadavg()[0], "bound_s": args.bound, "rows": rows,
              "before": args.before, "logs": str(scratch)}
    out = ROOT / "var" / "bench" / "stop.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"load {load_start:.1f} -> {result['load_end']:.1f}; {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

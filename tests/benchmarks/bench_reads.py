"""Issue 15's read paths against one private stack, each beside a baseline of the same run:
`python tests/benchmarks/bench_reads.py [estado] [paced] [group] [lag] [rebuild] [paced_estado] [paced_cross] [--events N]
[--before REV] [--paced-rounds R] [--edge-env VAR=VALUE]... [--before-env VAR=VALUE]... [--stack-env VAR=VALUE]...
[--no-variants] [--lingers MS,MS,...] [--estado-rates R,R,...] [--paced-invoices N,N,...]`
(all but paced_estado by default; also run by `make bench`; --before: also an edge of that commit, measured beside
this one in estado, paced and group; --paced-rounds: interleaved paced runs per target, 3 (paced_estado: 2);
--edge-env / --before-env: settings of this edge / the before edge only, e.g. VENTANILLA_EDGE_STATE_BATCH_LINGER_MS=2;
--stack-env: settings of every process of the stack, its services and edges, e.g. GRPC_EXPERIMENTS; estado also
measures ESTADO_VARIANTS' edges unless --no-variants; --lingers: instead, one variant edge per state batch linger
given; paced_estado: consultarEstadoFactura in an open loop on this edge and the variants, at reads.ESTADO_RATES or
--estado-rates requests/s; --paced-invoices: paced's edges once per count, consultarFactura of that many distinct
invoices in turn, 1 by default: the goal row's single invoice; paced_cross: consultarFactura at 500/s on the crossed
pairs of edge and status service, the edge's and the floor's, reads.paced_cross). Prints JSON and writes var/bench/reads.json (after each section, so a failure keeps the
rows before it)."""
from __future__ import annotations

import json
import os
import subprocess
from contextlib import ExitStack
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks import reads  # noqa: E402
from tests.benchmarks.bench_soap_edge import machine, publish  # noqa: E402
from tests.benchmarks.benchstack import env_settings, export_tree, extra_server, running_stack  # noqa: E402

SECTIONS = ("estado", "paced", "group", "lag", "rebuild")
ON_REQUEST = ("paced_estado", "paced_cross")  # run only when named
BESIDE_BEFORE = ("estado", "paced", "group")
OUT = ROOT / "var" / "bench" / "reads.json"
# estado's variants (--no-variants: none): the state batch linger that was the default before 3 ms (docs/benchmarks.md,
# "The state batch linger: 1, 2, 3 and 5 ms in the same rounds"), so every run shows what the default's change is worth
ESTADO_VARIANTS = {"edge (state batch linger 1 ms)": {"VENTANILLA_EDGE_STATE_BATCH_LINGER_MS": "1"}}


def _events(argv: list[str]) -> int:
    return int(argv[argv.index("--events") + 1]) if "--events" in argv else 1_000_000


def _before(argv: list[str]) -> str | None:
    return argv[argv.index("--before") + 1] if "--before" in argv else None


def _edge_env(argv: list[str], flag: str) -> dict[str, str]:
    """The VAR=VALUE settings given after each `flag` (an edge's own environment, e.g. its state batch linger)."""
    return env_settings(argv[n + 1] for n, arg in enumerate(argv) if arg == flag)


def _variants(argv: list[str]) -> dict[str, dict[str, str]]:
    """The variant edges: one per state batch linger of --lingers, else ESTADO_VARIANTS (none with --no-variants)."""
    if "--no-variants" in argv:
        return {}
    if "--lingers" not in argv:
        return ESTADO_VARIANTS
    return {f"edge (state batch linger {ms} ms)": {"VENTANILLA_EDGE_STATE_BATCH_LINGER_MS": ms}
            for ms in argv[argv.index("--lingers") + 1].split(",")}


def _keep(results: dict) -> None:
    """Write the sections finished so far: a later section's failure or time-out keeps the earlier rows."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    """Run the named sections (unknown names, such as run_all's own, are ignored); -h or --help: the usage only."""
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    names = [a for a in argv if a in SECTIONS + ON_REQUEST] or list(SECTIONS)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    results = {"machine": machine(), "commit": commit.strip(),
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "command": "python tests/benchmarks/bench_reads.py " + " ".join(argv)}
    rev = _before(argv)
    with running_stack(**_edge_env(argv, "--stack-env")) as stack, tempfile.TemporaryDirectory(prefix="bench-reads-") as tmp, ExitStack() as edges:
        answers = Path(tmp)
        started: list = []
        edge = edges.enter_context(extra_server(stack, "soap_edge", started=started, env=_edge_env(argv, "--edge-env")))
        before = None
        if rev:
            tree = export_tree(rev, answers / "before")
            before = edges.enter_context(extra_server(stack, "soap_edge", cwd=tree, started=started, env={
                "PYTHONPATH": f"{tree / 'services' / 'soap-edge'}:{tree}", **_edge_env(argv, "--before-env")}))
            results["before"] = rev
        results["edge_env"], results["before_env"] = _edge_env(argv, "--edge-env"), _edge_env(argv, "--before-env")
        results["stack_env"] = _edge_env(argv, "--stack-env")
        variants = {}  # estado's: this edge's code with another setting, beside it in the same rounds
        if {"estado", "paced_estado"} & set(names) and _variants(argv):
            variants = {label: edges.enter_context(extra_server(stack, "soap_edge", started=started,
                                                                env={**_edge_env(argv, "--edge-env"), **env}))
                        for label, env in _variants(argv).items()}
            results["estado_variants"] = _variants(argv)
        pids = dict(zip([edge, *([before] if before else []), *variants.values()], (p.pid for p in started)))
        for name in names:
            print(f"-- {name} (load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
            extra = {"before": before} if before and name in BESIDE_BEFORE else {}
            if name in ("estado", "paced_estado"):
                extra["pids"], extra["variants"] = pids, variants
            if name in ("paced", "paced_cross"):
                extra["pids"] = pids
            if name == "paced_cross":
                extra["edge_env"] = _edge_env(argv, "--edge-env")
            if name in ("paced", "paced_estado", "paced_cross") and "--paced-rounds" in argv:
                extra["rounds"] = int(argv[argv.index("--paced-rounds") + 1])
            if name == "paced" and "--paced-invoices" in argv:
                extra["invoices"] = tuple(int(n) for n in argv[argv.index("--paced-invoices") + 1].split(","))
            if name == "paced_estado" and "--estado-rates" in argv:
                extra["rates"] = tuple(float(r) for r in argv[argv.index("--estado-rates") + 1].split(","))
            results[name] = getattr(reads, name)(stack, edge, answers, _events(argv), **extra)
            results[name]["loadavg_after"] = round(os.getloadavg()[0], 1)
            _keep(results)
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Issue 15's read paths against one private stack, each beside a baseline of the same run:
`python tests/benchmarks/bench_reads.py [estado] [paced] [group] [lag] [rebuild] [--events N] [--before REV]
[--paced-rounds R] [--edge-env VAR=VALUE]... [--before-env VAR=VALUE]... [--stack-env VAR=VALUE]... [--no-variants]`
(all by default; also run by `make bench`; --before: also an edge of that commit, measured beside this one in estado,
paced and group; --paced-rounds: interleaved paced runs per target, 3; --edge-env / --before-env: settings of this
edge / the before edge only, e.g. VENTANILLA_EDGE_STATE_BATCH_LINGER_MS=2; --stack-env: settings of every process of
the stack, its services and edges, e.g. GRPC_EXPERIMENTS; estado also measures ESTADO_VARIANTS' edges unless
--no-variants). Prints JSON and writes var/bench/reads.json (after each section, so a failure keeps the rows before
it)."""
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
from tests.benchmarks.benchstack import export_tree, extra_server, running_stack  # noqa: E402

SECTIONS = ("estado", "paced", "group", "lag", "rebuild")
BESIDE_BEFORE = ("estado", "paced", "group")
OUT = ROOT / "var" / "bench" / "reads.json"
# estado's variants (--no-variants: none): the state batch linger that carried more queries per call under wrk -c8
# (docs/benchmarks.md, "More queries per GetStateBatch call"), to be judged against the default on a quiet machine
ESTADO_VARIANTS = {"edge (state batch linger 3 ms)": {"VENTANILLA_EDGE_STATE_BATCH_LINGER_MS": "3"}}


def _events(argv: list[str]) -> int:
    return int(argv[argv.index("--events") + 1]) if "--events" in argv else 1_000_000


def _before(argv: list[str]) -> str | None:
    return argv[argv.index("--before") + 1] if "--before" in argv else None


def _edge_env(argv: list[str], flag: str) -> dict[str, str]:
    """The VAR=VALUE settings given after each `flag` (an edge's own environment, e.g. its state batch linger)."""
    return dict(argv[n + 1].split("=", 1) for n, arg in enumerate(argv) if arg == flag)


def _keep(results: dict) -> None:
    """Write the sections finished so far: a later section's failure or time-out keeps the earlier rows."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    """Run the named sections (unknown names, such as run_all's own, are ignored); -h or --help: the usage only."""
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    names = [a for a in argv if a in SECTIONS] or list(SECTIONS)
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
        variants = {}  # estado only: this edge's code with another setting, beside it in the same rounds
        if "estado" in names and "--no-variants" not in argv:
            variants = {label: edges.enter_context(extra_server(stack, "soap_edge", started=started,
                                                                env={**_edge_env(argv, "--edge-env"), **env}))
                        for label, env in ESTADO_VARIANTS.items()}
            results["estado_variants"] = ESTADO_VARIANTS
        pids = dict(zip([edge, *([before] if before else []), *variants.values()], (p.pid for p in started)))
        for name in names:
            print(f"-- {name} (load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
            extra = {"before": before} if before and name in BESIDE_BEFORE else {}
            if name == "estado":
                extra["pids"], extra["variants"] = pids, variants
            if name == "paced":
                extra["pids"] = pids
            if name == "paced" and "--paced-rounds" in argv:
                extra["rounds"] = int(argv[argv.index("--paced-rounds") + 1])
            results[name] = getattr(reads, name)(stack, edge, answers, _events(argv), **extra)
            results[name]["loadavg_after"] = round(os.getloadavg()[0], 1)
            _keep(results)
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

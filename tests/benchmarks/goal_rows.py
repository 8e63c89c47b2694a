"""The goal summary of `make bench`: every goal row of issues 15, 14 and 11 from the JSON in var/bench/.

`python tests/benchmarks/goal_rows.py [DIR] [--since 2026-12-06T15:00:00Z]` (default var/bench) reads the JSON files
the benchmark scripts wrote there, writes DIR/goals.md and prints it: per row the measured figures, the same run's
baseline, the goal, whether it is met, and the commit and 1-minute load average of the run (marked "earlier run" when
the script started before --since: run_all.py passes its own start); below them, each JSON file's command, start,
commit, machine (cores, CPU) and load. A missing file or key reads "not measured"."""
from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.goal_table import GOALS, Figure, Goal  # noqa: E402

MET, NOT_MET, NOT_MEASURED = "yes", "**no**", "not measured"
_LOAD_START = (("load_average_start",), ("load_avg_1min", "start"), ("loadavg_start",), ("machine", "loadavg_at_start", 0))
_LOAD_END = (("load_average_end",), ("load_avg_1min", "end"), ("loadavg_end",), ("loadavg_at_end", 0))


@dataclass(frozen=True)
class Row:
    """One line of goals.md."""

    issue: int
    path: str
    measured: str
    baseline: str
    goal: str
    verdict: str
    commit: str
    load: str


def number(found) -> float | None:
    """A figure as a number: a number, a {"median": …} summary, or the median of a list of numbers; else None."""
    if isinstance(found, dict):
        found = found.get("median")
    if isinstance(found, list):
        values = [number(x) for x in found]
        return statistics.median(values) if values and None not in values else None
    if isinstance(found, bool) or not isinstance(found, (int, float, str)):
        return None
    try:
        return float(found)
    except ValueError:
        return None


def lookup(document, path: tuple):
    """The value at `path` (dict keys, list indexes, "*" for every element of a list), or None."""
    for at, step in enumerate(path):
        if step == "*":
            return [lookup(x, path[at + 1:]) for x in document] if isinstance(document, list) else None
        if isinstance(document, dict) and step in document:
            document = document[step]
        elif isinstance(document, list) and isinstance(step, int) and -len(document) <= step < len(document):
            document = document[step]
        else:
            return None
    return document


def value(document: dict | None, figure: Figure) -> float | None:
    """The figure's value: the first of its paths that gives a number, divided by its scale."""
    for path in figure.paths:
        found = number(lookup(document, path)) if document is not None else None
        if found is not None:
            return found / figure.scale
    return None


def meets(figure: Figure, found: float) -> bool:
    """Whether a found value meets the figure's goal (limits are inclusive)."""
    return found <= figure.limit if figure.op == "<=" else found >= figure.limit


def _shown(figure: Figure, found: float | None) -> str:
    text = "not measured" if found is None else f"{found:,.3g}" if abs(found) < 1000 else f"{found:,.0f}"
    return " ".join(part for part in (figure.label, text, figure.unit if found is not None else "") if part)


def _load(document: dict) -> str:
    start, end = (next((n for p in paths if (n := number(lookup(document, p))) is not None), None)
                  for paths in (_LOAD_START, _LOAD_END))
    return " → ".join("?" if n is None else f"{n:.1f}" for n in (start, end))


def _machine(document: dict) -> str:
    """The machine a script ran on, as its JSON gives it (bench_soap_edge's dict or bench_registry's text)."""
    found = document.get("machine")
    if isinstance(found, dict):
        cores = found.get("nproc")
        return ", ".join(str(part) for part in (f"{cores} cores" if cores else None, found.get("cpu")) if part) or "?"
    return str(found).split(", load average")[0] if found else "?"


def _earlier(document: dict, since: str) -> bool:
    """Whether the script started before `since` (both ISO times in UTC; unknown: not marked)."""
    started = document.get("started")
    return bool(since and started) and str(started) < since


def row(goal: Goal, document: dict | None, since: str = "") -> Row:
    """One goal's row from its JSON document (None when the file is missing; started before `since`: marked)."""
    found = [(figure, value(document, figure)) for figure in goal.figures]
    judged = [(figure, n) for figure, n in found if figure.op]
    if any(n is not None and not meets(figure, n) for figure, n in judged):
        verdict = NOT_MET
    elif any(n is None for _, n in judged):
        verdict = NOT_MEASURED
    else:
        verdict = MET
    measured = "; ".join(_shown(figure, n) for figure, n in found)
    baseline = "; ".join(_shown(figure, value(document, figure)) for figure in goal.baseline) or "—"
    if document is None:
        measured, commit, load = f"not measured ({goal.source} missing)", "—", "—"
    else:
        commit, load = str(document.get("commit") or "?"), _load(document)
        commit += " (earlier run)" if _earlier(document, since) else ""
    return Row(goal.issue, goal.path, measured, baseline, goal.goal, verdict, commit, load)


def rows(documents: dict[str, dict], since: str = "") -> list[Row]:
    """Every goal row, from the JSON documents by file name (ISO time `since`: the run's start, if any)."""
    return [row(goal, documents.get(goal.source), since) for goal in GOALS]


def markdown(found: list[Row], documents: dict[str, dict], since: str = "") -> str:
    """goals.md: the rows, then each source's command, start, commit, machine and load."""
    lines = ["# Goal rows (issues 15, 14, 11)", "",
             "| issue | path | measured | baseline (same run) | goal | met? | commit | load 1 min |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r.issue} | {r.path} | {r.measured} | {r.baseline} | {r.goal} | {r.verdict} | {r.commit} | {r.load} |"
              for r in found]
    lines += ["", "Sources:"]
    for source in sorted({goal.source for goal in GOALS}):
        doc = documents.get(source)
        lines.append(f"- `{source}`: " + ("missing" if doc is None else f"`{doc.get('command', '?')}`, started "
                                          f"{doc.get('started', '?')}, commit {doc.get('commit', '?')}, machine {_machine(doc)}, load "
                                          f"{_load(doc)}" + (f" (before this run, {since})" if _earlier(doc, since)
                                                             else "")))
    return "\n".join(lines) + "\n"


def read_documents(directory: Path) -> dict[str, dict]:
    """Every JSON object in `directory` by file name (unreadable ones left out: their rows read "not measured")."""
    documents = {}
    for path in sorted(directory.glob("*.json")):
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(document, dict):
            documents[path.name] = document
    return documents


def main(argv: list[str]) -> int:
    """Write DIR/goals.md and print it."""
    since = argv[argv.index("--since") + 1] if "--since" in argv[:-1] else ""
    given = [a for a in argv if not a.startswith("--") and a != since]
    directory = Path(given[0]) if given else ROOT / "var" / "bench"
    documents = read_documents(directory)
    text = markdown(rows(documents, since), documents, since)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "goals.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Fault injection under load: kill -9 and restart, one at a time, the services and the broker; freeze the broker.

    python -m tests.reliability.run [--profile short|long] [--rounds N] [--report FILE.md] [--keep DIR]

`short` (in `make test`) scales the broker timeouts down (5 s appends, a 12 s freeze); `long`
(`make reliability`) keeps the defaults (15 s appends) and freezes the broker for 25 s, twice over.
The exit status is 1 when any check failed; the report lists the recovery times and every violation.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .checks import everything
from .clients import Journal
from .faults import KILLS, Health, Recovery, inject
from .load import Load, Pace
from .stack import chaos_stack

FAULTS = (*KILLS, "freeze")  # the freeze last: it must not hide what the kills show


@dataclass(frozen=True)
class Profile:
    """How hard a run is: timeouts, the freeze, the backlog a fresh status replica replays, the load."""

    name: str
    env: dict[str, str]
    freeze_s: float
    backlog_events: int
    rounds: int
    suppliers: int
    limits_s: dict[str, float]  # by fault: not recovered within this is a violation
    pace: Pace = field(default_factory=Pace)
    steady_s: float = 3.0  # of plain load between one fault's recovery and the next fault


PROFILES = {
    "short": Profile("short", {"VENTANILLA_KAFKA_APPEND_TIMEOUT_S": "5", "VENTANILLA_SOAP_GRPC_DEADLINE_S": "5",
                               "VENTANILLA_READ_YOUR_WRITES_TIMEOUT_S": "2"},
                     freeze_s=12, backlog_events=60_000, rounds=1, suppliers=3,
                     limits_s={**dict.fromkeys(KILLS, 30.0), "status-fresh": 45.0, "broker": 75.0, "freeze": 60.0},
                     pace=Pace(timeout_s=60, retry_pause_s=0.5, give_up_s=90)),
    "long": Profile("long", {}, freeze_s=25, backlog_events=200_000, rounds=2, suppliers=4,
                    limits_s={**dict.fromkeys(KILLS, 30.0), "status-fresh": 120.0, "broker": 90.0, "freeze": 90.0},
                    pace=Pace(timeout_s=60, retry_pause_s=1.0, give_up_s=240), steady_s=10.0),
}


@dataclass
class Outcome:
    """What a run measured and found."""

    profile: Profile
    recoveries: list[Recovery]
    journal: Journal
    seconds: float


def run(profile: Profile, workdir: Path, rounds: int | None = None, log=print) -> Outcome:
    """Start a stack, load it, inject every fault `rounds` times, stop the load, check everything."""
    started = time.monotonic()
    deployed = {"VENTANILLA_LOG_LEVEL": "INFO", "VENTANILLA_GROUP_INSTANCE_ID": "status-0"}  # as the manifests
    stack = chaos_stack(workdir, {**deployed, **profile.env}, profile.backlog_events)
    log(f"stack up in {time.monotonic() - started:.0f} s (backlog {profile.backlog_events} events)")
    journal, recoveries = Journal(), []
    load, health = Load(stack, journal, profile.pace, profile.suppliers), Health(stack)
    try:
        load.start()
        health.start()
        _warm_up(journal, 10, 60)
        for round_ in range(1, (rounds or profile.rounds) + 1):
            for fault in FAULTS:
                recovery = inject(stack, load, health, fault, round_, profile.freeze_s, profile.limits_s[fault])
                recoveries.append(recovery)
                log(f"round {round_} {fault}: {_row(recovery)}")
                time.sleep(profile.steady_s)
        load.stop(profile.pace.give_up_s + profile.pace.timeout_s)
        health.stop()
        log(f"load stopped: {len(journal.registered)} registered, {len(journal.answers)} answers; checking")
        everything(stack, journal, load.supplier())
    finally:
        stack.close()
    return Outcome(profile, recoveries, journal, time.monotonic() - started)


def _warm_up(journal: Journal, registered: int, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while len(journal.registered) < registered:
        if time.monotonic() > deadline:
            return journal.violation(f"fewer than {registered} invoices registered {limit_s} s after the start")
        time.sleep(0.2)


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _row(r: Recovery) -> str:
    return f"submission {_seconds(r.submission_s)} s, queries {_seconds(r.query_s)} s, " \
           f"back office {_seconds(r.backoffice_s)} s"


def report(outcome: Outcome) -> str:
    """The run as Markdown: recovery table, totals, violations."""
    journal, profile = outcome.journal, outcome.profile
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    lines = [f"Profile `{profile.name}` ({', '.join(f'{k}={v}' for k, v in profile.env.items()) or 'default timeouts'};"
             f" freeze {profile.freeze_s:.0f} s; backlog {profile.backlog_events} events), commit {commit},"
             f" {platform.machine()} × {os.cpu_count()} cores, {outcome.seconds:.0f} s in all.", "",
             "Seconds from the kill (the service or broker is started again 0.5 s after it) or from the thaw;"
             " 'ready': the restarted process answers its health check (after the thaw: the registry SERVING"
             " again), the in-run yardstick of the other columns:", "",
             "| round | fault | ready | first good submission | queries current | back-office update shown |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in outcome.recoveries:
        lines.append(f"| {r.round} | {r.fault} | {_seconds(r.ready_s)} s | {_seconds(r.submission_s)} s | "
                     f"{_seconds(r.query_s)} s | {_seconds(r.backoffice_s)} s |")
    outcomes = {}
    for answer in journal.answers:
        label = "ok" if answer.ok else answer.key or ("transport error" if answer.status is None else "other")
        outcomes[(answer.operation, label)] = outcomes.get((answer.operation, label), 0) + 1
    lines += ["", f"{len(journal.registered)} invoices registered, {len(journal.repeated)} answered facturaRepetida,"
              f" {len(journal.cancelled)} cancelled, {sum(map(len, journal.sent_updates.values()))} back-office"
              " messages (each delivered twice).", "",
              "Answers: " + "; ".join(f"{op} {label} {n}" for (op, label), n in sorted(outcomes.items())), ""]
    lines += [f"**{len(journal.violations)} violations**"] + [f"- {v}" for v in journal.violations]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run a profile; print (and optionally write) the report; 1 if anything failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="long")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (logs, state)")
    args = parser.parse_args(argv)
    log = lambda text: print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)  # noqa: E731
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        outcome = run(PROFILES[args.profile], args.keep, args.rounds, log)
    else:
        with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
            outcome = run(PROFILES[args.profile], Path(tmp), args.rounds, log)
    text = report(outcome)
    print(text)
    if args.report:
        args.report.write_text(text)
    return 1 if outcome.journal.violations else 0


if __name__ == "__main__":
    sys.exit(main())

"""The offline rebuild of this checkout against another commit's, alternated on one log, beside raw reads:
`python tests/benchmarks/bench_rebuild_ab.py [--before REV] [--events N] [--rounds R] [--one-process]`
(REV: main by default; 1,000,000 events, 2 rounds). A local broker and one fresh topic of N events (registration +
3 updates per invoice), then: a raw kafka-python read, R rounds of `projection_rebuild.rebuild` of REV's code and of
this checkout's (order swapped every round; the reader in a second process, as `projections rebuild` does, unless
--one-process), a raw read again. Each run is its own process (REV's through its exported tree): wall, events/s, CPU
per event with its reader process and of the writer alone, the writer's minor page faults, peak RSS, seconds the
replay waited for the reader's pipe. Prints JSON lines and writes var/bench/rebuild_ab.json."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.benchstack import export_tree  # noqa: E402

ONE_RUN = r'''
import json, resource, sys, time
import multiprocessing.connection as mc
mode, bootstrap, topic, out = sys.argv[1:5]

def cpu(who=(resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)):
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, who))

waited, receive = [0.0], mc.Connection.recv
def timed_receive(self):
    started = time.perf_counter()
    try:
        return receive(self)
    finally:
        waited[0] += time.perf_counter() - started
mc.Connection.recv = timed_receive
load, before, started = open("/proc/loadavg").read().split()[0], cpu(), time.perf_counter()
writer_before, faults_before = cpu((resource.RUSAGE_SELF,)), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
if mode == "raw":
    from ventanilla.adapters.log_reader import read_to_end
    events = sum(len(records) for records in read_to_end(bootstrap, topic))
    seconds = time.perf_counter() - started
else:
    from ventanilla.adapters.projection_rebuild import rebuild
    report = rebuild(bootstrap, topic, __import__("pathlib").Path(out), reader_process=mode == "pipe")
    events, seconds = report.events, report.seconds
print(json.dumps({"load_1m": float(load), "events": events, "seconds": round(seconds, 2),
                  "events_per_s": round(events / seconds), "cpu_us_per_event": round((cpu() - before) / events * 1e6, 2),
                  "writer_cpu_us_per_event": round((cpu((resource.RUSAGE_SELF,)) - writer_before) / events * 1e6, 2),
                  "writer_minor_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "reader_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
                  "waited_for_reader_s": round(waited[0], 2)}))
'''


def _arg(argv: list[str], flag: str, default: str) -> str:
    return argv[argv.index(flag) + 1] if flag in argv else default


def _run(label: str, tree: Path, mode: str, bootstrap: str, topic: str, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", ONE_RUN, mode, bootstrap, topic, str(out)], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True, check=True)
    row = {"run": label, "mode": mode, **json.loads(done.stdout.strip().splitlines()[-1])}
    print(json.dumps(row), flush=True)
    return row


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    from tests.support.backlog import produce_events
    from tests.support.stack_env import free_ports
    from ventanilla.adapters.kafka_broker import LocalKafkaBroker
    from ventanilla.adapters.topics import TOPICS, ensure_topics
    from ventanilla.config import Settings

    rev, events = _arg(argv, "--before", "main"), int(_arg(argv, "--events", "1000000"))
    rounds, mode = int(_arg(argv, "--rounds", "2")), "one" if "--one-process" in argv else "pipe"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    before_commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True,
                                   text=True).stdout
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-ab-") as tmp:
        work = Path(tmp)
        before = export_tree(rev, work / "before", ("ventanilla",))
        port, controller = free_ports(2)
        broker = LocalKafkaBroker(work / "kafka", port, controller)
        broker.start()
        try:
            bootstrap, topic = broker.bootstrap_servers, f"bench.invoice-events.{uuid.uuid4().hex[:8]}"
            ensure_topics(Settings.from_env({"VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                                             "VENTANILLA_INVOICE_EVENTS_TOPIC": topic}), TOPICS[:1])
            produced_s = produce_events(bootstrap, topic, events)
            rows = [_run("raw read", ROOT, "raw", bootstrap, topic, work / "raw")]
            for n in range(rounds):  # alternated: the machine's load moves both alike
                pair = [("before", before), ("after", ROOT)]
                for label, tree in pair if n % 2 == 0 else pair[::-1]:
                    rows.append(_run(label, tree, mode, bootstrap, topic, work / f"{label}.sqlite3"))
            rows.append(_run("raw read", ROOT, "raw", bootstrap, topic, work / "raw"))
        finally:
            broker.stop()
    raw = sum(r["events_per_s"] for r in rows if r["mode"] == "raw") / 2
    result = {"commit": commit.strip(), "before": f"{rev} ({before_commit.strip()})", "events": events,
              "produce_s": round(produced_s, 1), "runs": rows,
              "vs_raw": {label: [round(r["events_per_s"] / raw, 3) for r in rows if r["run"] == label]
                         for label in ("before", "after")}}
    print(json.dumps(result["vs_raw"]))
    out = ROOT / "var" / "bench" / "rebuild_ab.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

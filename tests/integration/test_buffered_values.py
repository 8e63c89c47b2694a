"""Multiprocess values written in batches (BufferedValues): real forked processes on a real values directory."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

PRELUDE = textwrap.dedent("""
    import json, os, sys, threading, time
    from pathlib import Path
    from ventanilla.observability import exposition
    exposition.prepare_multiprocess_dir(Path(os.environ[exposition.MULTIPROC_VARIABLE]))
    import prometheus_client
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
    from prometheus_client.multiprocess import MultiProcessCollector
    exposition.buffer_values()

    def scrape():  # what the gunicorn master serves: the files alone, no flush of this process's values
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return prometheus_client.generate_latest(registry).decode()

    def wait_for(condition, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            text = scrape()
            if condition(text):
                return text
            time.sleep(0.05)
        raise AssertionError("not seen before the deadline:\\n" + scrape())
""")

TWO_WORKERS = PRELUDE + textwrap.dedent("""
    registry = CollectorRegistry()
    served = Counter("served", "requests", ["worker"], registry=registry)
    seconds = Histogram("seconds", "latency", buckets=(0.1, 1.0), registry=registry)
    go, done = os.pipe(), os.pipe()
    pids = []
    for worker in range(2):
        pid = os.fork()
        if pid == 0:
            served.labels(str(worker)).inc(worker + 1)
            seconds.observe(0.05 + worker)
            os.write(done[1], b"x")
            os.read(go[0], 1)  # alive until told; then more, and a clean exit
            served.labels(str(worker)).inc(10)
            sys.exit(0)
        pids.append(pid)
    for _ in pids:
        os.read(done[0], 1)
    alive = wait_for(lambda text: 'served_total{worker="1"} 2.0' in text and 'served_total{worker="0"} 1.0' in text)
    os.write(go[1], b"xx")
    for pid in pids:
        os.waitpid(pid, 0)
    print(json.dumps({"alive": alive, "exited": scrape(), "period": exposition.FLUSH_SECONDS}))
""")

EIGHT_THREADS = PRELUDE + textwrap.dedent("""
    registry = CollectorRegistry()
    counted = Counter("counted", "increments", registry=registry)
    timed = Histogram("timed", "observations", buckets=(1.0, 2.0, 3.0), registry=registry)
    per_thread = 20000

    def work(index):
        for i in range(per_thread):
            counted.inc()
            timed.observe(float(i % 4))  # 0 and 1 in le=1, 2 in le=2, 3 in le=3
    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    exposition.flush_values()
    print(scrape())
""")

GAUGES = PRELUDE + textwrap.dedent("""
    registry = CollectorRegistry()
    live = Gauge("live", "set", multiprocess_mode="livesum", registry=registry)
    every = Gauge("every", "set", multiprocess_mode="liveall", registry=registry)
    flight = Gauge("flight", "inc and dec", multiprocess_mode="livesum", registry=registry)
    live.set(7)
    every.set(3)
    flight.inc(5)
    flight.dec(2)
    at_once = scrape()  # set() writes through; inc/dec wait for the flush
    later = wait_for(lambda text: "flight 3.0" in text)
    exposition.worker_exited(os.getpid())  # a dead worker's live gauges are forgotten, as the docs say
    print(json.dumps({"at_once": at_once, "later": later, "dead": scrape(), "pid": os.getpid()}))
""")


def _run(script: str, tmp_path: Path) -> str:
    env = {"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "multiproc")}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_two_forked_workers_values_appear_after_the_flush_period_and_after_a_clean_exit(tmp_path):
    result = json.loads(_run(TWO_WORKERS, tmp_path))
    assert result["period"] <= 1.0
    alive = _samples(result["alive"])
    assert alive[("seconds_count", ())] == 2
    assert alive[("seconds_bucket", (("le", "0.1"),))] == 1
    assert alive[("seconds_bucket", (("le", "1.0"),))] == 1
    assert alive[("seconds_bucket", (("le", "+Inf"),))] == 2
    exited = _samples(result["exited"])
    assert exited[("served_total", (("worker", "0"),))] == 11  # written at exit, not lost with the process
    assert exited[("served_total", (("worker", "1"),))] == 12


def test_eight_threads_lose_no_increment_and_the_buckets_are_exact(tmp_path):
    samples = _samples(_run(EIGHT_THREADS, tmp_path))
    total = 8 * 20000
    assert samples[("counted_total", ())] == total
    assert samples[("timed_count", ())] == total
    assert samples[("timed_bucket", (("le", "1.0"),))] == total / 2
    assert samples[("timed_bucket", (("le", "2.0"),))] == total * 3 / 4
    assert samples[("timed_bucket", (("le", "3.0"),))] == total
    assert samples[("timed_sum", ())] == 8 * 5000 * (0 + 1 + 2 + 3)


def test_gauges_set_at_once_increments_after_the_flush_and_a_dead_workers_live_gauges_go(tmp_path):
    result = json.loads(_run(GAUGES, tmp_path))
    at_once = _samples(result["at_once"])
    assert at_once[("live", ())] == 7
    assert at_once[("every", (("pid", str(result["pid"])),))] == 3
    assert _samples(result["later"])[("flight", ())] == 3
    dead = _samples(result["dead"])
    assert ("every", (("pid", str(result["pid"])),)) not in dead
    assert dead.get(("live", ()), 0) == 0


NESTED_FORKS = PRELUDE + textwrap.dedent("""
    registry = CollectorRegistry()
    made = Counter("made", "increments", registry=registry)
    made.inc(100)  # gathered in the parent, not yet written: a child must not write it again
    for _ in range(8):  # forks while the flusher runs, from a child too (its own lock, its own flusher)
        pid = os.fork()
        if pid == 0:
            grandchild = os.fork()
            if grandchild == 0:
                made.inc(2)
                sys.exit(0)
            os.waitpid(grandchild, 0)
            made.inc(1)
            sys.exit(0)
        os.waitpid(pid, 0)
    exposition.flush_values()
    print(scrape())
""")


def test_forks_from_parents_and_children_write_each_increment_once(tmp_path):
    assert _samples(_run(NESTED_FORKS, tmp_path))[("made_total", ())] == 100 + 8 * (1 + 2)

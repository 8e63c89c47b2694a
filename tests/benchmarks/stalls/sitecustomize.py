"""Benchmark-only probe of a process's stalls, loaded by `site` when this directory is on PYTHONPATH and
BENCH_STALLS_DIR is set: every garbage collection's pause, and a heartbeat thread's lateness (how long a thread that
is ready waits for the GIL and the CPU), written as JSON lines to BENCH_STALLS_DIR/<pid>.jsonl."""
import gc
import json
import os
import threading
import time

OUT = os.environ.get("BENCH_STALLS_DIR")
TICK_S = float(os.environ.get("BENCH_STALLS_TICK_S", "0.002"))
LATE_S = 0.0005  # a heartbeat later than this is recorded


def _start() -> None:
    """(Re)start the probe in this process: after the interpreter starts, and in every forked child."""
    records: list = []
    begun: dict = {}
    with open("/proc/self/cmdline", "rb") as cmdline:
        label = cmdline.read().replace(b"\0", b" ").decode(errors="replace")[:160]

    def on_gc(phase, info):
        if phase == "start":
            begun["t"] = time.perf_counter()
        elif "t" in begun:
            records.append(("gc", time.time(), info["generation"], time.perf_counter() - begun.pop("t"),
                            info.get("collected", 0)))

    gc.callbacks[:] = [c for c in gc.callbacks if getattr(c, "__name__", "") != "on_gc"] + [on_gc]

    def beat() -> None:
        path = os.path.join(OUT, f"{os.getpid()}.jsonl")
        flushed = time.perf_counter()
        with open(path, "a") as out:
            out.write(json.dumps(["process", time.time(), label]) + "\n")
            while True:
                due = time.perf_counter() + TICK_S
                time.sleep(TICK_S)
                late = time.perf_counter() - due
                if late > LATE_S:
                    records.append(("late", time.time(), late))
                if time.perf_counter() - flushed > 1.0:
                    records.append(("heap", time.time(), len(gc.get_objects()), gc.get_count(), gc.get_freeze_count()))
                    taken, records[:] = list(records), []
                    out.writelines(json.dumps(r) + "\n" for r in taken)
                    out.flush()
                    flushed = time.perf_counter()

    threading.Thread(target=beat, name="bench-stalls", daemon=True).start()


if OUT:
    os.makedirs(OUT, exist_ok=True)
    _start()
    os.register_at_fork(after_in_child=_start)

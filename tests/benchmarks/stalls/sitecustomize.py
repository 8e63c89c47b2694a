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
FULL_GC_EVERY_S = float(os.environ.get("BENCH_STALLS_FULL_GC_EVERY_S", "0"))  # 0: never forced
LATE_S = 0.0005  # a heartbeat later than this is recorded


def _start() -> None:
    """(Re)start the probe in this process: after the interpreter starts, and in every forked child."""
    records: list = []
    begun: dict = {}
    types: dict = {}
    with open("/proc/self/cmdline", "rb") as cmdline:
        label = cmdline.read().replace(b"\0", b" ").decode(errors="replace")[:160]

    def on_gc(phase, info):
        if phase == "start":
            begun["t"], begun["cpu"] = time.perf_counter(), time.thread_time()
        elif "t" in begun:
            records.append(("gc", time.time(), info["generation"], time.perf_counter() - begun.pop("t"),
                            info.get("collected", 0), time.thread_time() - begun.pop("cpu")))

    gc.callbacks[:] = [c for c in gc.callbacks if getattr(c, "__name__", "") != "on_gc"] + [on_gc]

    def beat() -> None:
        path = os.path.join(OUT, f"{os.getpid()}.jsonl")
        flushed = forced = time.perf_counter()
        with open(path, "a") as out:
            out.write(json.dumps(["process", time.time(), label]) + "\n")
            while True:
                due = time.perf_counter() + TICK_S
                time.sleep(TICK_S)
                late = time.perf_counter() - due
                if late > LATE_S:
                    records.append(("late", time.time(), late))
                if FULL_GC_EVERY_S and time.perf_counter() - forced > FULL_GC_EVERY_S:
                    forced = time.perf_counter()
                    gc.collect()  # what a full collection costs this process now (its callback records it)
                if time.perf_counter() - flushed > 1.0:
                    objects = gc.get_objects()
                    records.append(("heap", time.time(), len(objects), gc.get_count(), gc.get_freeze_count()))
                    if os.environ.get("BENCH_STALLS_TYPES"):  # which types grow, every second
                        counts: dict = {}
                        for item in objects:
                            name = type(item).__qualname__
                            counts[name] = counts.get(name, 0) + 1
                        grown = sorted(((n - types.get(t, 0), t) for t, n in counts.items()), reverse=True)[:8]
                        records.append(("grown", time.time(), grown))
                        where: dict = {}
                        for item in objects:
                            if type(item).__name__ == "traceback":
                                while item.tb_next is not None:
                                    item = item.tb_next
                                code = item.tb_frame.f_code
                                key = f"{code.co_filename}:{item.tb_lineno} {code.co_name}"
                                error = getattr(item.tb_frame.f_locals.get("self"), "exception", None)
                                key += f" {type(error).__name__}: {str(error)[:60]}" if error is not None else ""
                                where[key] = where.get(key, 0) + 1
                        records.append(("tracebacks", time.time(), sorted(where.items(), key=lambda kv: -kv[1])[:6]))
                        types.clear()
                        types.update(counts)
                    del objects
                    taken, records[:] = list(records), []
                    out.writelines(json.dumps(r) + "\n" for r in taken)
                    out.flush()
                    flushed = time.perf_counter()

    threading.Thread(target=beat, name="bench-stalls", daemon=True).start()


if OUT:
    os.makedirs(OUT, exist_ok=True)
    _start()
    os.register_at_fork(after_in_child=_start)

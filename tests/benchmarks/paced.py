"""Open-loop load: requests sent on a fixed schedule, each timed from its scheduled send time (no coordinated
omission: a slow answer delays the requests queued behind it, and their latency shows it)."""
from __future__ import annotations

import queue
import ssl
import threading
import time
from typing import Mapping, Sequence
from urllib.parse import urlsplit

from .loadgen import _percentile, connection_to, post_once


def paced_load(url: str, request: tuple[str, bytes], rate: float, seconds: float, connections: int = 32,
               tls: ssl.SSLContext | None = None, headers: Mapping[str, str] | None = None,
               trace: list | None = None, bodies: Sequence[bytes] = ()) -> dict:
    """`rate` requests/s for `seconds` over up to `connections` keep-alive connections; latency percentiles and this
    process's CPU per request (the generator's own: the caller waits meanwhile). trace: a list that gets (sequence
    number, scheduled, sent, done) per request (perf_counter times), the number sent in an X-Bench-Seq header
    (bench_tail.py joins it with the servers' own timestamps); bodies: sent in turn instead of request's body (request
    n gets the body cycle_body picks, e.g. consultarFactura of many invoices)."""
    content_type, body = request
    cycle = tuple(bodies) or (body,)
    path, extra = urlsplit(url).path, {"Content-Type": content_type, "SOAPAction": '""', **(headers or {})}
    due: queue.Queue = queue.Queue()
    latencies, errors, lock = [], [0], threading.Lock()

    def worker() -> None:
        connection = connection_to(url, tls)
        while (item := due.get()) is not None:
            n, scheduled = item
            time.sleep(max(0.0, scheduled - time.perf_counter()))
            sent = time.perf_counter()
            connection, ok = post_once(connection, url, tls, path, cycle_body(cycle, n), {**extra, "X-Bench-Seq": str(n)}
                                       if trace is not None else extra)
            done = time.perf_counter()
            with lock:
                latencies.append(done - scheduled)
                errors[0] += 0 if ok else 1
                if trace is not None:
                    trace.append((n, scheduled, sent, done))
        connection.close()

    cpu = time.process_time()  # from the connections' set-up, as vegeta's rusage is from its start
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    start = time.perf_counter() + 0.2
    total = int(rate * seconds)
    for n in range(total):  # the schedule is fixed up front; a worker takes the next due request when free
        due.put((n, start + n / rate))
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    cpu_ms = (time.process_time() - cpu) * 1000
    ordered = sorted(latencies)
    return {"rate_per_s": rate, "seconds": seconds, "requests": len(ordered), "errors": errors[0],
            "p50_ms": round(_percentile(ordered, 50) * 1000, 1), "p99_ms": round(_percentile(ordered, 99) * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
            "generator_cpu_ms_per_request": round(cpu_ms / max(1, len(ordered)), 3)}


def cycle_body(cycle: Sequence[bytes], n: int) -> bytes:
    """The body of the request numbered n when the bodies are sent in turn (n counts from 0 in schedule order)."""
    return cycle[n % len(cycle)]

"""Closed-loop clients in threads: each takes the next item, times it, and takes another until none is left."""
from __future__ import annotations

import threading
import time
from typing import Callable, Iterable, TypeVar

Item = TypeVar("Item")


def timed_clients(items: Iterable[Item], clients: int,
                  client: Callable[[], Callable[[Item], float]]) -> tuple[list[float], float]:
    """Run `clients` threads over the items; client() gives each thread its own sender (its session), which sends
    one item and returns how long it took. The latencies, in completion order, and the wall time in seconds."""
    pending, latencies, lock = iter(items), [], threading.Lock()

    def run() -> None:
        send = client()
        while True:
            with lock:
                item = next(pending, None)
            if item is None:
                return
            elapsed = send(item)
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started

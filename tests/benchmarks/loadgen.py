"""Bounded load on loopback: wrk for one repeated request, a small threaded Python client for distinct bodies."""
from __future__ import annotations

import http.client
import json
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

WRK_SCRIPT = Path(__file__).with_name("wrk_post.lua")


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured (latencies in milliseconds)."""

    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float

    def as_dict(self) -> dict:
        return asdict(self)


def _loopback(url: str) -> None:
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
        raise ValueError(f"benchmarks run on loopback only, not {url}")


def wrk(url: str, content_type: str, body: bytes, seconds: int = 10, connections: int = 8,
        threads: int = 1) -> LoadResult:
    """POST the same body for `seconds` with wrk (-t threads -c connections); non-2xx answers count as errors."""
    _loopback(url)
    with tempfile.NamedTemporaryFile(suffix=".body") as body_file:
        body_file.write(body)
        body_file.flush()
        env = {"WRK_BODY_FILE": body_file.name, "WRK_CONTENT_TYPE": content_type, "PATH": "/usr/bin:/bin"}
        done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                               "-s", str(WRK_SCRIPT), url], env=env, capture_output=True, text=True,
                              timeout=seconds + 60, check=True)
    line = next(l for l in done.stdout.splitlines() if l.startswith("{"))
    summary = json.loads(line)
    elapsed = summary["duration_us"] / 1e6
    return LoadResult(summary["requests"], summary["errors"] + summary["non2xx"], round(elapsed, 2),
                      round(summary["requests"] / elapsed, 1), summary["p50_us"] / 1000, summary["p99_us"] / 1000)


def python_load(url: str, requests: Iterable[tuple[str, bytes]], concurrency: int = 4,
                timeout_s: float = 120.0) -> LoadResult:
    """Send each (content type, body) once over `concurrency` keep-alive connections; latency per request."""
    _loopback(url)
    target = urlsplit(url)
    work, lock = iter(requests), threading.Lock()
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + timeout_s

    def worker() -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                item = next(work, None)
            if item is None:
                break
            content_type, body = item
            started = time.perf_counter()
            try:
                connection.request("POST", target.path, body=body,
                                   headers={"Content-Type": content_type, "SOAPAction": '""'})
                answer = connection.getresponse()
                answer.read()
                ok = answer.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors[0] += 0 if ok else 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return LoadResult(len(ordered), errors[0], round(elapsed, 2), round(len(ordered) / elapsed, 1),
                      round(_percentile(ordered, 50) * 1000, 1), round(_percentile(ordered, 99) * 1000, 1))


def _percentile(ordered: list[float], percent: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered) + 0.5) - 1))]

"""Bounded load on loopback: wrk for one repeated request, a small threaded Python client for distinct bodies."""
from __future__ import annotations

import http.client
import json
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Mapping
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
        threads: int = 1, headers: Mapping[str, str] | None = None, delay_ms: int = 0) -> LoadResult:
    """POST the same body for `seconds` with wrk (-t threads -c connections); non-2xx answers count as errors.
    delay_ms: each connection waits that long after each answer (a steady rate below what the server can take).

    wrk cannot present a client certificate: against the edge it sends the ingress headers (`headers`) to an
    edge in ingress mode (plain HTTP, trusted proxy 127.0.0.1), as the nginx ingress does after its TLS.
    """
    _loopback(url)
    with tempfile.NamedTemporaryFile(suffix=".body") as body_file, \
            tempfile.NamedTemporaryFile("w", suffix=".headers") as header_file:
        body_file.write(body)
        body_file.flush()
        header_file.write("".join(f"{name}\n{value}\n" for name, value in (headers or {}).items()))
        header_file.flush()
        env = {"WRK_BODY_FILE": body_file.name, "WRK_CONTENT_TYPE": content_type,
               "WRK_HEADERS_FILE": header_file.name, "WRK_DELAY_MS": str(int(delay_ms)), "PATH": "/usr/bin:/bin"}
        done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                               "-s", str(WRK_SCRIPT), url], env=env, capture_output=True, text=True,
                              timeout=seconds + 60, check=True)
    line = next(l for l in done.stdout.splitlines() if l.startswith("{"))
    summary = json.loads(line)
    elapsed = summary["duration_us"] / 1e6
    return LoadResult(summary["requests"], summary["errors"] + summary["non2xx"], round(elapsed, 2),
                      round(summary["requests"] / elapsed, 1), summary["p50_us"] / 1000, summary["p99_us"] / 1000)


def connection_to(url: str, tls: ssl.SSLContext | None = None, timeout: float = 60) -> http.client.HTTPConnection:
    """A keep-alive connection: HTTPS with the client certificate of `tls` for https URLs, else plain HTTP."""
    target = urlsplit(url)
    if target.scheme == "https":
        if tls is None:
            raise ValueError(f"{url}: the edge requires a client certificate (tls=ClientCert.ssl_context)")
        return http.client.HTTPSConnection(target.hostname, target.port, timeout=timeout, context=tls)
    return http.client.HTTPConnection(target.hostname, target.port, timeout=timeout)


def post_once(connection: http.client.HTTPConnection, url: str, tls: ssl.SSLContext | None, path: str, body: bytes,
              headers: Mapping[str, str]) -> tuple[http.client.HTTPConnection, bool]:
    """POST on a keep-alive connection: (the connection to use next, whether the answer was a 200)."""
    try:
        connection.request("POST", path, body=body, headers=dict(headers))
        answer = connection.getresponse()
        answer.read()
        return connection, answer.status == 200
    except (OSError, http.client.HTTPException):
        connection.close()
        return connection_to(url, tls), False


def python_load(url: str, requests: Iterable[tuple[str, bytes]], concurrency: int = 4,
                timeout_s: float = 120.0, tls: ssl.SSLContext | None = None,
                headers: Mapping[str, str] | None = None) -> LoadResult:
    """Send each (content type, body) once over `concurrency` keep-alive connections; latency per request.

    https URLs: real TLS with the client certificate of `tls`; `headers` are added to every request."""
    _loopback(url)
    target = urlsplit(url)
    extra = dict(headers or {})
    work, lock = iter(requests), threading.Lock()
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + timeout_s

    def worker() -> None:
        connection = connection_to(url, tls)
        while time.monotonic() < deadline:
            with lock:
                item = next(work, None)
            if item is None:
                break
            content_type, body = item
            started = time.perf_counter()
            connection, ok = post_once(connection, url, tls, target.path, body,
                                       {"Content-Type": content_type, "SOAPAction": '""', **extra})
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

"""A normal client's latency next to slow clients: alone, next to idle TCP connections, under a whole attack."""
from __future__ import annotations

import socket
import statistics

from tests.benchmarks import requests_
from tests.benchmarks.benchstack import BenchStack
from tests.support.slow_clients import Attack, SlowClients, latencies

CALLS, EVERY_S, CALL_TIMEOUT_S, BUDGET_S = 40, 0.05, 30.0, 90.0


def summary(seconds: list[float], errors: int = 0) -> dict:
    """p50, p99 and max in milliseconds, with the number of calls and of failed ones."""
    ordered = sorted(seconds)
    p99 = ordered[max(0, int(round(0.99 * len(ordered))) - 1)]
    return {"calls": len(ordered), "errors": errors, "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(p99 * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def normal_client(stack: BenchStack, url: str) -> dict:
    """CALLS `version` calls, each on a new TLS connection with the client certificate; a failure counts its time."""
    content_type, body = requests_.version()
    errors = [0]

    def call():
        try:
            requests_.post(url, content_type, body, tls=stack.client.ssl_context, timeout=CALL_TIMEOUT_S)
        except (OSError, RuntimeError):
            errors[0] += 1

    return summary(latencies(call, CALLS, EVERY_S, BUDGET_S), errors[0])


def under_attack(stack: BenchStack, url: str, attack: Attack) -> dict:
    """The normal client while the attack holds its connections."""
    with SlowClients(attack) as slow:
        result = normal_client(stack, url)
        result["attack_held_open"] = slow.stop()
        result["trickling_connected"] = slow.trickling
    return result


def idle_tcp(stack: BenchStack, url: str, port: int, count: int) -> dict:
    """The normal client next to count idle TCP connections (no TLS handshake)."""
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    try:
        return normal_client(stack, url)
    finally:
        for sock in idle:
            sock.close()

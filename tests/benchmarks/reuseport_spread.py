"""How the kernel spreads TCP connections over listeners sharing a port (SO_REUSEPORT), without gRPC:
`python tests/benchmarks/reuseport_spread.py [--listeners 2] [--batch 16,64] [--batches 200]`.

Each listener is its own process; batches of consecutive connections to 127.0.0.1 (as an edge worker opens its
channels) are counted by the listener that accepted them. Prints, per batch size, the distribution of the larger
listener's share against a fair coin per connection's (binomial), the dispersion of one listener's count per batch
(its variance over the binomial's), and the whole run's counts.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import socket
import statistics
import sys


def listen(port: int, ready, counts, index: int) -> None:
    """Accept connections on the shared port, counting them, until told to stop (a connection saying `stop`)."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1024)
    ready.release()
    while True:
        connection, _ = server.accept()
        if connection.recv(4) == b"stop":
            connection.close()
            return
        with counts.get_lock():
            counts[index] += 1
        connection.close()


def batch(port: int, size: int, counts) -> list[int]:
    """Open `size` connections one after another (each sends a byte and is closed); what each listener got."""
    before = list(counts)
    sockets = []
    for _ in range(size):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"x")
        sockets.append(client)
    while sum(counts) - sum(before) < size:  # the listeners count asynchronously
        pass
    for client in sockets:
        client.close()
    return [after - was for after, was in zip(counts, before)]


def max_shares_of_fair_coins(listeners: int, size: int, batches: int) -> list[float]:
    """The same statistic when each connection picks its listener by a fair die."""
    rng = random.Random(15)
    shares = []
    for _ in range(batches):
        picks = [0] * listeners
        for _ in range(size):
            picks[rng.randrange(listeners)] += 1
        shares.append(max(picks) / size)
    return shares


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 3), "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
            "max": round(ordered[-1], 3)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listeners", type=int, default=2)
    parser.add_argument("--batch", default="16,64", help="connections per batch (an edge's connections), compared")
    parser.add_argument("--batches", type=int, default=200)
    args = parser.parse_args()
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    ready, counts = multiprocessing.Semaphore(0), multiprocessing.Array("i", args.listeners)
    processes = [multiprocessing.Process(target=listen, args=(port, ready, counts, i)) for i in range(args.listeners)]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()
    report = {"listeners": args.listeners, "batches": args.batches, "by_batch": {}}
    try:
        for size in [int(s) for s in args.batch.split(",")]:
            got = [batch(port, size, counts) for _ in range(args.batches)]
            shares = [max(one) / size for one in got]
            # the first listener's count per batch: its variance over a fair die's (> 1: connections of a batch
            # land together more often than independent picks would)
            firsts, p = [one[0] for one in got], 1 / args.listeners
            report["by_batch"][str(size)] = {"kernel_max_share": quantiles(shares),
                                             "dispersion": round(statistics.variance(firsts) / (size * p * (1 - p)), 2),
                                             "fair_coin_max_share": quantiles(
                                                 max_shares_of_fair_coins(args.listeners, size, args.batches))}
        report["total_by_listener"] = list(counts)
    finally:
        for process in processes:  # each listener's last accept: a `stop`, landing wherever the hash sends it
            while process.is_alive():
                with socket.create_connection(("127.0.0.1", port)) as stop:
                    stop.sendall(b"stop")
                process.join(timeout=0.2)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

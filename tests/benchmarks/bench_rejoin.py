"""Back-office updates after a status restart, by consumer-group membership (issue 9, item 5).

    python tests/benchmarks/bench_rejoin.py [--rounds 2] [--variants dynamic-45,dynamic-10,static-45,static-10] [--out FILE]

For each variant the status service (a real process, its own broker) is killed -9 and started again,
then stopped with SIGTERM and started again; after each restart (ready: caught up with the log), one
back-office update is sent and the time until consultas show it is measured, with the time from the
kill or stop. Variants: dynamic membership with a 45 s session (kafka-python's default) or a 10 s one;
static membership (group.instance.id, KIP-345) with a 45 s or a 10 s session (the deployed setting).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_lifecycle import broker, machine  # noqa: E402
from tests.e2e import lifecycle as lc  # noqa: E402
from tests.e2e.own_stack import OwnStack  # noqa: E402
from tests.support.stack_env import free_ports, private_env  # noqa: E402
from tests.support.service_pki import dial  # noqa: E402

VARIANTS = {
    "dynamic-45": {"VENTANILLA_GROUP_SESSION_TIMEOUT_MS": "45000"},
    "dynamic-10": {"VENTANILLA_GROUP_SESSION_TIMEOUT_MS": "10000"},
    "static-45": {"VENTANILLA_GROUP_SESSION_TIMEOUT_MS": "45000", "VENTANILLA_GROUP_INSTANCE_ID": "status-0"},
    "static-10": {"VENTANILLA_GROUP_SESSION_TIMEOUT_MS": "10000", "VENTANILLA_GROUP_INSTANCE_ID": "status-0"},
}


def _status_stack(bootstrap: str, base: Path, overrides: dict[str, str]) -> OwnStack:
    import os

    from ventanilla.adapters.topics import ensure_topics
    from ventanilla.config import Settings

    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_"))}
    env.update(private_env(bootstrap, base / "state", free_ports(5), "rejoin"), PYTHONUNBUFFERED="1",
               VENTANILLA_LOG_LEVEL="WARNING", **overrides)
    settings = Settings.from_env(env)
    ensure_topics(settings)
    (base / "logs").mkdir(parents=True, exist_ok=True)
    return OwnStack(settings, env, base / "logs")


def _register(stack: OwnStack, invoice_id: int) -> None:
    from dataclasses import replace

    from ventanilla.adapters.event_log import EventLog
    from tests.unit.domain.factories import registered

    log = EventLog(stack.settings.kafka.bootstrap_servers, stack.settings.topics.invoice_events, "bench")
    template = registered(invoice_id)
    key = replace(template.invoice.key, number=f"RJ-{invoice_id}")
    log.append(replace(template, invoice=replace(template.invoice, key=key)))
    log.close()


def _shown(stack: OwnStack, invoice_id: int, state: str, timeout_s: float = 180) -> float:
    """Send one update; seconds until GetStates shows it."""
    from ventanilla.api.v1 import invoice_pb2, services_pb2, services_pb2_grpc

    producer = lc.producer(stack.settings)
    _, value = lc.state_update(invoice_id, state, str(uuid.uuid4()))
    sent = time.monotonic()
    producer.send(stack.settings.topics.backoffice_updates, key=str(invoice_id).encode(), value=value).get(30)
    producer.close()
    caller = services_pb2.Caller(nif="B12345678")
    with dial(stack.settings.addresses.status, "status") as channel:
        status = services_pb2_grpc.StatusServiceStub(channel)
        while time.monotonic() - sent < timeout_s:
            [item] = status.GetStates(services_pb2.StatesByIds(caller=caller, ids=[invoice_id]), timeout=10,
                                      wait_for_ready=True).items
            if item.state == invoice_pb2.InvoiceState.Value(state):
                return time.monotonic() - sent
            time.sleep(0.05)
    raise TimeoutError(f"update of {invoice_id} not shown within {timeout_s} s")


def measure(bootstrap: str, base: Path, overrides: dict[str, str], rounds: int) -> dict:
    """Restart after kill -9 and after SIGTERM, `rounds` times each; seconds to the update shown."""
    stack = _status_stack(bootstrap, base, overrides)
    ids = iter(range(1, 100))
    results = {"kill": [], "sigterm": []}
    try:
        stack.start("status")
        invoice_id = next(ids)
        _register(stack, invoice_id)
        results["warm"] = round(_shown(stack, invoice_id, "REGISTRADA_RCF"), 2)
        for _ in range(rounds):
            for how in ("kill", "sigterm"):
                invoice_id = next(ids)
                _register(stack, invoice_id)
                stopped = time.monotonic()
                stack.kill("status") if how == "kill" else stack.stop("status")
                stack.start("status")
                ready = time.monotonic() - stopped
                shown = _shown(stack, invoice_id, "REGISTRADA_RCF")
                results[how].append({"ready_s": round(ready, 2), "shown_after_ready_s": round(shown, 2),
                                     "from_stop_s": round(ready + shown, 2)})
                print(overrides, how, results[how][-1], file=sys.stderr, flush=True)
    finally:
        stack.stop_all()
    return results


def main(argv: list[str] | None = None) -> int:
    """Measure each variant; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", type=Path)
    args, _ = parser.parse_known_args(argv)
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with tempfile.TemporaryDirectory(prefix="bench-rejoin-") as tmp, broker(Path(tmp)) as bootstrap:
        for name in args.variants.split(","):
            results[name] = measure(bootstrap, Path(tmp) / name, VARIANTS[name], args.rounds)
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

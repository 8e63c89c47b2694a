"""Issue 12: time from a removal in the portal to the first "no", p50/p99 over N trials (default 20):
`python tests/benchmarks/bench_revocation.py [--trials N]` (also run by `make bench`).

Each trial enrols an approved RCF platform with two certificates through the portal's use cases on a private broker,
then (a) takes one certificate off the platform and removes it, (b) deletes the platform, and measures until the
integrators directory (DirectoryFollower), the back-office gateway (a real mTLS call) and a SOAP edge in registered
mode (a real HTTP call, ingress mode, over recording backends) say no. Comparison in the
same run: how long the portal's own use case takes (append + its read model catching up). Prints JSON, writes
var/bench/revocation.json."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "revocation.json"
BODY = "Q2826000H"


def percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(percent / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict:
    return {"p50_s": round(percentile(values, 50), 4), "p99_s": round(percentile(values, 99), 4),
            "max_s": round(max(values), 4), "n": len(values)}


def timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def main(argv: list[str]) -> int:
    """Start a broker, a portal, a directory and a gateway; run the trials; print and write the JSON."""
    sys.path.insert(0, str(ROOT))
    from urllib.parse import quote

    import grpc
    import requests

    from ventanilla import devpki, pki
    from ventanilla.domain.integrator_events import Role
    from ventanilla.adapters.directory_follower import DirectoryFollower
    from ventanilla.adapters.kafka_broker import LocalKafkaBroker
    from ventanilla.adapters.topics import ensure_topics
    from ventanilla.api.v1 import backoffice_pb2 as pb
    from ventanilla.config import Settings
    from ventanilla.domain import integrator_commands as cmd
    from ventanilla.domain.integrators_directory import Unrecognized
    from backoffice_gateway.__main__ import build
    from portal_service.handlers import Actor
    from tests.benchmarks.bench_soap_edge import machine
    from tests.support.gateway_client import stub
    from tests.integration.edge_server import start_edge
    from tests.integration.test_edge_tls import CONSULTA
    from tests.support.integrators import Enrolment, fingerprint, until
    from tests.support.portal_kafka import portal_env, start_portal
    from tests.support.stack_env import free_ports, private_env

    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    args, _ = parser.parse_known_args(argv)
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                        text=True).stdout.strip(), "trials": args.trials}
    with tempfile.TemporaryDirectory(prefix="bench-revocation-") as scratch, ExitStack() as stack:
        scratch = Path(scratch)
        broker = LocalKafkaBroker(scratch / "kafka", *free_ports(2))
        broker.start()
        stack.callback(broker.stop)
        enrol = Enrolment.new(scratch / "trust")
        env = {**portal_env(private_env(broker.bootstrap_servers, scratch / "state", free_ports(5), "bench"),
                            scratch / "trust", "00000000T"),
               "VENTANILLA_BACKOFFICE_GATEWAY_CLIENT_CA": str(scratch / "trust" / "clients-ca.pem"),
               "VENTANILLA_LOG_LEVEL": "ERROR"}
        settings = Settings.from_env(env)
        ensure_topics(settings)
        devpki.init(settings)
        portal = start_portal(env)
        stack.callback(portal.stop)
        enrol.portal = portal.portal
        directory = DirectoryFollower(settings.kafka.bootstrap_servers, settings.topics.integrator_events, "bench")
        directory.start()
        stack.callback(directory.stop)
        gateway = build(settings)
        gateway.start()
        stack.callback(gateway.stop)
        server_ca = devpki.layout(settings).cert("ca").read_bytes()
        edge = start_edge(scratch / "edge", free_ports(4), VENTANILLA_SOAP_PLAIN_HTTP="1",
                          VENTANILLA_TRUSTED_PROXIES="127.0.0.1/32", VENTANILLA_EDGE_ACCESS_MODE="registered",
                          VENTANILLA_KAFKA_BOOTSTRAP_SERVERS=settings.kafka.bootstrap_servers,
                          VENTANILLA_INTEGRATOR_EVENTS_TOPIC=settings.topics.integrator_events,
                          VENTANILLA_LOG_LEVEL="ERROR")
        stack.callback(edge.stop)
        enrol.sign_up(BODY)
        owner = Actor(BODY, BODY)

        def says_no(issued) -> bool:
            return isinstance(directory.store.credential(fingerprint(issued), datetime.now(timezone.utc)),
                              Unrecognized)

        def gateway_says_no(issued) -> bool:
            try:
                stub(settings.gateway.address, server_ca, issued).GetHistory(pb.HistoryRequest(invoice_id=1), timeout=5)
            except grpc.RpcError as error:
                return error.code() is grpc.StatusCode.UNAUTHENTICATED
            return False

        def edge_says_no(issued) -> bool:
            headers = {"Content-Type": "text/xml; charset=utf-8", "ssl-client-verify": "SUCCESS",
                       "ssl-client-cert": quote(pki.pem(issued.certificate).decode(), safe="")}
            answer = requests.post(edge.url, data=CONSULTA, headers=headers, timeout=10)
            return b"credenciales.error.certificado.nif" in answer.content

        figures = {kind: {"directory": [], "gateway": [], "edge": [], "portal_use_case": []}
                   for kind in ("remove_certificate", "delete_platform")}
        for trial in range(args.trials):
            first, second = enrol.client(BODY, f"A{trial}"), enrol.client(BODY, f"B{trial}")
            platform_id = enrol.back_office(BODY, first, ("GE0000001",), roles=(Role.RECEIVING, Role.SENDING))
            portal.portal.run(owner, cmd.AddPlatformCertificate, platform_id=platform_id,
                              fingerprint=enrol.register(BODY, second))
            until(lambda: not says_no(second) and not gateway_says_no(second) and not edge_says_no(second), step_s=0.05)
            for kind, issued, actions in (
                    ("remove_certificate", second, [
                        lambda: portal.portal.run(owner, cmd.RemovePlatformCertificate, platform_id=platform_id,
                                                  fingerprint=fingerprint(second)),
                        lambda: portal.portal.run(owner, cmd.RemoveCertificate, fingerprint=fingerprint(second))]),
                    ("delete_platform", first, [
                        lambda: portal.portal.run(owner, cmd.DeletePlatform, platform_id=platform_id)])):
                started = time.monotonic()
                figures[kind]["portal_use_case"].append(timed(actions[0]))
                until(lambda: says_no(issued), step_s=0.002)
                figures[kind]["directory"].append(time.monotonic() - started)
                until(lambda: gateway_says_no(issued), step_s=0.01)
                figures[kind]["gateway"].append(time.monotonic() - started)
                until(lambda: edge_says_no(issued), step_s=0.01)
                figures[kind]["edge"].append(time.monotonic() - started)
                for action in actions[1:]:
                    action()
            print(f"-- trial {trial + 1}/{args.trials}", file=sys.stderr, flush=True)
        results["figures"] = {kind: {name: summary(values) for name, values in parts.items()}
                              for kind, parts in figures.items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

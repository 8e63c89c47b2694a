"""Issue 12: the edge's per-request authorization cost, `registered` against `open` mode, same run:
`python tests/benchmarks/bench_edge_access.py [--rounds N] [--seconds S]`. Prints JSON, writes var/bench/edge_access.json.

One private stack (`ventanilla up`, own Kafka); the seller's dev certificate is registered through the portal's use
cases to a sending platform; two extra edges over the same backends, one per mode, both in ingress mode (wrk cannot
present a client certificate; it sends the nginx ingress's headers). Interleaved rounds of wrk -t1 -c8 on
consultarEstadoFactura and consultarFactura against each; then enviarFactura (a fresh 100 KB invoice per request,
Python keep-alive client) against each, alternating. Ratios registered/open per operation."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "edge_access.json"
ENVIAR_REQUESTS, ENVIAR_SIZE, CONNECTIONS = 150, 100 * 1024, 8


def main(argv: list[str]) -> int:
    """Start the stack and the two edges, run the rounds, print and write the JSON."""
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks import requests_
    from tests.benchmarks.bench_soap_edge import machine, publish
    from tests.benchmarks.benchstack import extra_server, running_stack
    from tests.benchmarks.edge_consultar import _median
    from tests.benchmarks.loadgen import python_load, wrk
    from tests.e2e import soap
    from tests.support.registered_edge import integrators

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args(argv)
    results: dict = {"machine": machine(), "authorization alone": authorization_alone()}
    with running_stack() as stack:
        with integrators(stack.env) as portal:
            portal.sign_up("B23103039")
            results["platform"] = portal.platform("B23103039", stack.client.cert)
        headers, tls = stack.client.ingress_headers, stack.client.ssl_context
        invoice_id = requests_.register_one(stack.soap_url, tls)
        operations = {"consultarEstadoFactura": requests_.estado(invoice_id),
                      "consultarFactura": (requests_.XML, soap.envelope("consultarFactura",
                                                                        f"<idFactura>{invoice_id}</idFactura>"))}
        registered_env = {"VENTANILLA_EDGE_ACCESS_MODE": "registered"}
        with extra_server(stack, "soap_edge") as open_url, \
                extra_server(stack, "soap_edge", env=registered_env) as registered_url:
            urls = {"open": open_url, "registered": registered_url}
            for url in urls.values():  # warm-up; the registered edge answers only once its directory knows the seller
                _until_answered(requests_, url, operations["consultarFactura"], headers)
                wrk(url, *operations["consultarEstadoFactura"], seconds=2, connections=CONNECTIONS, headers=headers)
            rounds: dict = {f"{op} {mode}": [] for op in operations for mode in urls}
            for _ in range(args.rounds):
                for op, request in operations.items():
                    for mode, url in urls.items():
                        rounds[f"{op} {mode}"].append(wrk(url, *request, args.seconds, CONNECTIONS, headers=headers))
            enviar: dict = {mode: [] for mode in urls}
            for _ in range(2):
                for mode, url in urls.items():
                    bodies = [requests_.enviar_mtom(ENVIAR_SIZE) for _ in range(ENVIAR_REQUESTS // 2)]
                    enviar[mode].append(python_load(url, bodies, concurrency=4, headers=headers))
        summary = {name: _median(found) for name, found in rounds.items()}
        for op in operations:
            summary[f"{op} registered/open"] = round(summary[f"{op} registered"]["rps"] / summary[f"{op} open"]["rps"], 3)
        for mode, found in enviar.items():
            summary[f"enviarFactura {mode}"] = _median(found)
        summary["enviarFactura registered/open"] = round(
            summary["enviarFactura registered"]["rps"] / summary["enviarFactura open"]["rps"], 3)
        results.update(summary)
        results["load"] = (f"wrk -t1 -c{CONNECTIONS} -d{args.seconds}s x {args.rounds} rounds per (operation, mode), "
                           f"interleaved; enviarFactura: 2 x {ENVIAR_REQUESTS // 2} fresh {ENVIAR_SIZE // 1024} KB "
                           "invoices over MTOM per mode, 4 keep-alive connections, alternating; both edges in ingress "
                           f"mode with {stack.settings.edge.workers} workers over the same backends")
    publish(results, OUT)
    return 0


def authorization_alone(integrators: int = 1000, per_integrator: int = 5, calls: int = 20000) -> dict:
    """Microseconds per call of each mode's Access.caller (the whole per-request difference between the modes),
    registered over a DirectoryStore holding 1,000 integrators x 5 certificates on sending platforms."""
    import hashlib
    import time

    from ventanilla.adapters.directory_follower import DirectoryStore
    from ventanilla.domain.integrator_events import Role
    from soap_edge.identity.access import OpenAccess, RegisteredAccess
    from soap_edge.identity.caller import Caller, Via
    from tests.unit.domain.integrator_portal import AT, Portal

    portal, fingerprints = Portal(), []
    for i in range(integrators):
        nif = _nif(10_000_000 + i)
        portal.integrator(nif)
        for j in range(per_integrator):
            fingerprints.append(hashlib.sha256(f"{nif}-{j}".encode()).hexdigest())
            portal.certificate(nif, fingerprints[-1])
            portal.platform(nif, f"p-{nif}-{j}", fingerprints[-1], {Role.SENDING})
    store = DirectoryStore()
    store.apply_many((event, "t", 0, offset) for offset, event in enumerate(portal.events))
    callers = [Caller("B23103039", fingerprints[i % len(fingerprints)], Via.TLS_PEER, "x") for i in range(calls)]
    found = {}
    for name, access in (("open", OpenAccess()), ("registered", RegisteredAccess(store.credential, lambda: True,
                                                                                 now=lambda: AT))):
        started = time.perf_counter()
        for caller in callers:
            access.caller(caller, "r")
        found[f"{name}_us_per_call"] = round((time.perf_counter() - started) / calls * 1e6, 2)
    found["directory"] = f"{integrators} integrators, {len(fingerprints)} certificates, {len(portal.events)} events"
    return found


def _nif(number: int) -> str:
    """A valid DNI-style NIF for a number (checksum letter)."""
    return f"{number:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"


def _until_answered(requests_, url: str, request: tuple[str, bytes], headers: dict, timeout_s: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            requests_.post(url, *request, headers=headers)
            return
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

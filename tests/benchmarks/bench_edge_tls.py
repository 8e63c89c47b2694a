"""Issue 15, the edge's TLS and HTTP per invoice: `python tests/benchmarks/bench_edge_tls.py [--short]`.

One edge (2 workers, the stack's TLS with client certificates) whose registry answers a prepared registration at
once; closed-loop clients post signed ~104 KB invoices as MTOM. Rounds interleave the client modes in one run:
- `keep-alive`: one requests.Session per client (what the write-path benchmarks and JAX-WS/zeep clients do);
- `new connection`: a new TLS connection (full handshake, client certificate verified) for every invoice;
- `resumed`: a new TLS connection for every invoice resuming the client's last session (a TLS 1.3 ticket);
and, each round, `new connection` against a second edge whose server key is ECDSA P-256 instead of RSA-2048.
Per mode: the edge's CPU per invoice (arbiter + workers, /proc), the TLS connections the clients opened per invoice,
and the negotiated protocol, cipher and the server key's type. Writes var/bench/edge_tls.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))

from tests.benchmarks.bench_registry import big_invoice, machine  # noqa: E402
from tests.benchmarks.bench_write_path import closed_loop, prepared_answer, prepared_registry  # noqa: E402
from tests.benchmarks.benchstack import cpu_seconds  # noqa: E402
from tests.benchmarks.bench_registry import stack_env  # noqa: E402
from tests.support.signing_pki import build_signing_pki  # noqa: E402


class Handshakes:
    """Counts the TLS connections urllib3 opens in this process (each one a full handshake with the edge)."""

    def __init__(self):
        import threading

        from urllib3.connection import HTTPSConnection

        self.count, self._lock, connect = 0, threading.Lock(), HTTPSConnection.connect

        def counted(conn):
            with self._lock:
                self.count += 1
            return connect(conn)

        HTTPSConnection.connect = counted


HANDSHAKES: Handshakes | None = None
ECDSA = "new connection, ECDSA P-256 server key"  # a second edge, the same but for its server certificate


def negotiated(edge, cert, ca) -> dict:
    """The TLS version, cipher and server key type one connection to the edge gets."""
    import socket
    import ssl

    from cryptography import x509

    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(*cert)
    context.check_hostname = False
    host, port = edge.url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw, context.wrap_socket(raw) as tls:
        key = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True)).public_key()
        return {"protocol": tls.version(), "cipher": tls.cipher()[0],
                "server_key": f"{type(key).__name__.lstrip('_')} {getattr(key, 'key_size', '')}".strip()}


class Resuming:
    """A new TLS connection per request resuming the client's last TLS session (a TLS 1.3 ticket), as clients with a
    session cache (JSSE, OpenSSL's) do: a short handshake, the client certificate not sent or verified again."""

    def __init__(self, cert, ca):
        import ssl

        self._context = ssl.create_default_context(cafile=ca)
        self._context.load_cert_chain(*cert)
        self._context.check_hostname = False
        self._session, self.resumed = None, 0

    def post(self, url: str, data: bytes, headers: dict, timeout: float):
        import socket
        import types

        with HANDSHAKES._lock:
            HANDSHAKES.count += 1
        host, path = url.split("//", 1)[1].split("/", 1)
        name, port = host.rsplit(":", 1)
        head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Host": host, "Content-Length": len(data),
                                                       "Connection": "close"}.items())
        with self._context.wrap_socket(socket.create_connection((name, int(port)), timeout),
                                       session=self._session) as sock:
            sock.sendall(f"POST /{path} HTTP/1.1\r\n{head}\r\n".encode() + data)  # one write: no Nagle wait
            answer = bytearray()
            while chunk := sock.recv(262144):
                answer += chunk
            self.resumed += sock.session_reused
            self._session = sock.session  # TLS 1.3: the tickets arrive after the handshake, read with the answer
        status, content = int(answer[9:12]), bytes(answer[answer.index(b"\r\n\r\n") + 4:])
        return types.SimpleNamespace(status_code=status, content=content, text=content[:300].decode("latin-1"))


def ecdsa_server(state: Path) -> None:
    """Put an ECDSA P-256 server certificate (from the same dev CA) where the edge started on `state` will find it."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from ventanilla import devpki, pki
    from ventanilla.config import Settings

    settings = Settings.from_env({"VENTANILLA_STATE_DIR": str(state), "VENTANILLA_SOAP_HOST": "127.0.0.1"})
    devpki.init(settings)
    where = devpki.layout(settings)
    rsa_key, pki.new_key = pki.new_key, lambda bits=0: ec.generate_private_key(ec.SECP256R1())
    try:
        leaf = pki.issue_leaf(devpki._load(where, "ca"), pki.name("localhost"), pki.Usage.SERVER,
                              dns_names=("localhost",), ip_addresses=("127.0.0.1", "::1"))
    finally:
        pki.new_key = rsa_key
    leaf.write(where.directory, "server")


def run_mode(edge, invoices: list[bytes], clients: int, mode: str, cert, ca) -> dict:
    """One closed loop in one mode: the edge's CPU and the clients' connections per invoice."""
    import requests

    resuming = []

    def session():
        if mode == "resumed":
            resuming.append(Resuming(cert, ca))
            return resuming[-1]
        own = requests.Session()
        own.cert, own.verify, own.trust_env = cert, ca, False
        if mode == "new connection":
            own.headers["Connection"] = "close"  # the server closes after the answer: a new handshake per invoice
        return own

    before, load, opened = cpu_seconds(edge.process.pid), os.getloadavg()[0], HANDSHAKES.count
    result = closed_loop(edge.url, invoices, clients, session)
    cpu, opened = cpu_seconds(edge.process.pid) - before, HANDSHAKES.count - opened
    return {**result, "edge_cpu_ms_per_invoice": round(cpu * 1000 / result["invoices"], 3),
            "connections_per_invoice": round(opened / result["invoices"], 3),
            "resumed_per_invoice": round(sum(c.resumed for c in resuming) / result["invoices"], 3),
            "load_average": [round(load, 1), round(os.getloadavg()[0], 1)]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true", help="3 rounds of 80 invoices per mode")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--invoices", type=int, default=120)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    rounds, count = (3, 80) if args.short else (args.rounds, args.invoices)
    global HANDSHAKES
    HANDSHAKES = Handshakes()

    from tests.integration.edge_server import start_edge
    from tests.support.stack_env import free_ports

    report = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": " ".join(["bench_edge_tls.py", *sys.argv[1:]]), "load_average_start": round(os.getloadavg()[0], 1)}
    modes = ("keep-alive", "new connection", "resumed")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pki = build_signing_pki(tmp / "pki")
        invoices = [pki.sign(big_invoice(f"T{i}")) for i in range(count)]
        answer = prepared_answer(invoices[0], stack_env(tmp / "answer", pki))
        edge = start_edge(tmp / "edge", free_ports(4), registry=prepared_registry(answer), VENTANILLA_SOAP_WORKERS="2")
        ecdsa_server(tmp / "edge-ecdsa")
        ecdsa = start_edge(tmp / "edge-ecdsa", free_ports(4), registry=prepared_registry(answer),
                           VENTANILLA_SOAP_WORKERS="2")
        try:
            cert, ca = edge.client("99999999R"), str(edge.pki.cert("ca"))
            ecdsa_cert, ecdsa_ca = ecdsa.client("99999999R"), str(ecdsa.pki.cert("ca"))
            report["tls"] = negotiated(edge, cert, ca)
            report["tls_ecdsa_edge"] = negotiated(ecdsa, ecdsa_cert, ecdsa_ca)
            run_mode(edge, invoices[:2 * args.clients], args.clients, "keep-alive", cert, ca)  # warm-ups
            run_mode(ecdsa, invoices[:2 * args.clients], args.clients, "keep-alive", ecdsa_cert, ecdsa_ca)
            runs = {mode: [] for mode in (*modes, ECDSA)}
            for index in range(rounds):
                order = modes[index % 3:] + modes[:index % 3]  # each mode first in turn
                for mode in order:
                    runs[mode].append(run_mode(edge, invoices, args.clients, mode, cert, ca))
                    print(mode, json.dumps(runs[mode][-1]), file=sys.stderr, flush=True)
                runs[ECDSA].append(run_mode(ecdsa, invoices, args.clients, "new connection", ecdsa_cert, ecdsa_ca))
                print(ECDSA, json.dumps(runs[ECDSA][-1]), file=sys.stderr, flush=True)
        finally:
            edge.stop()
            ecdsa.stop()
    report["rounds"] = runs
    median = {mode: statistics.median(r["edge_cpu_ms_per_invoice"] for r in runs[mode]) for mode in runs}
    report["goal_rows"] = {
        "edge_cpu_ms_per_invoice_keep_alive": median["keep-alive"],
        "edge_cpu_ms_per_invoice_new_connection": median["new connection"],
        "edge_cpu_ms_per_invoice_resumed_session": median["resumed"],
        "full_handshake_cpu_ms": round(median["new connection"] - median["keep-alive"], 3),
        "resumed_handshake_cpu_ms": round(median["resumed"] - median["keep-alive"], 3),
        "edge_cpu_ms_per_invoice_new_connection_ecdsa_server": median[ECDSA],
        "ecdsa_saves_per_full_handshake_ms": round(median["new connection"] - median[ECDSA], 3),
        "connections_per_invoice_keep_alive": statistics.median(r["connections_per_invoice"] for r in runs["keep-alive"]),
    }
    report["load_average_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(report, indent=2))
    out = ROOT / "var" / "bench" / "edge_tls.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

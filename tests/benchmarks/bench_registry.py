"""Issue 4 figures: CPU cost per registry stage for a 100 KB signed invoice, and the whole stack's
enviarFactura throughput and p99 compared, in the same run, with the sum of the stages (the floor)."""
from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from lxml import etree  # noqa: E402

from tests.benchmarks.closed_loop import timed_clients  # noqa: E402
from tests.benchmarks.benchstack import ClientCert, bench_env, issue_client  # noqa: E402
from tests.benchmarks.registry_stages import measure_stages  # noqa: E402
from tests.e2e import soap  # noqa: E402
from tests.support.registry import FACE, SCHEMAS  # noqa: E402
from tests.support.signing_pki import build_signing_pki  # noqa: E402

TARGET_BYTES = 100 * 1024
SEQUENTIAL, CONCURRENT, CLIENTS = 40, 160, 4


def big_invoice(number: str) -> bytes:
    """The FACe sample with a new invoice number and repeated lines up to about 100 KB (unsigned)."""
    root = etree.fromstring(FACE.read_bytes())
    root.find(".//InvoiceNumber").text = number
    items = root.find("Invoices/Invoice/Items")
    line = items[0]
    while len(etree.tostring(root)) < TARGET_BYTES - 4000:  # the signature adds about 4 KB
        items.append(etree.fromstring(etree.tostring(line)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return (f"{os.cpu_count()} cores (nproc), {cpu}, {memory / 1024 / 1024:.0f} GiB RAM, Python "
            f"{sys.version.split()[0]}, load average at start {os.getloadavg()[0]:.1f}")


def _ventanilla(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "ventanilla.cli", *args], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)


def stack_env(state: Path, pki) -> dict[str, str]:
    """The shared private-stack environment, with signatures required and the test signing PKI trusted."""
    return bench_env(state, VENTANILLA_FACTURAE_SCHEMAS=str(SCHEMAS), VENTANILLA_REQUIRE_SIGNATURE="1",
                     VENTANILLA_TRUST_STORE=str(pki.trust_store), VENTANILLA_CRLS=str(pki.crls))


def post(session: requests.Session, url: str, facturae: bytes) -> float:
    """Milliseconds for one MTOM enviarFactura that must register."""
    content_type, body = soap.enviar_mtom(facturae)
    start = time.perf_counter()
    response = session.post(url, data=body, headers={"Content-Type": content_type, "SOAPAction": '""'}, timeout=60)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, response.text[:500]
    return elapsed


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def tls_session(client: ClientCert) -> requests.Session:
    """HTTPS with the seller's dev client certificate, keep-alive."""
    session = requests.Session()
    session.cert, session.verify, session.trust_env = client.requests_cert, str(client.ca), False
    return session


def end_to_end(url: str, invoices: list[bytes], cert: ClientCert) -> dict[str, float]:
    """Sequential latencies, then CLIENTS concurrent clients (each its own TLS connection): throughput and p99."""
    session = tls_session(cert)
    for facturae in invoices[:5]:
        post(session, url, facturae)
    sequential = [post(session, url, f) for f in invoices[5:5 + SEQUENTIAL]]
    def client():
        own = tls_session(cert)
        return lambda facturae: post(own, url, facturae)

    latencies, wall = timed_clients(invoices[5 + SEQUENTIAL:], CLIENTS, client)
    return {"seq_mean": statistics.mean(sequential), "seq_p99": p99(sequential),
            "throughput": len(latencies) / wall, "conc_p99": p99(latencies), "conc_mean": statistics.mean(latencies)}


def main() -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    print(f"machine: {machine()}; commit {commit.stdout.strip()}, "
          f"started {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; edge over HTTPS with a client certificate")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pki = build_signing_pki(tmp / "pki")
        sample = pki.sign(big_invoice("BENCH-STAGES"))
        print(f"signed invoice: {len(sample)} bytes")
        env = stack_env(tmp / "state", pki)
        _ventanilla(env, "up", "--timeout", "240")
        try:
            client = issue_client(env)  # the sample's seller: it may submit
            stages = measure_stages(sample, pki, env)
            run = uuid.uuid4().hex[:6]
            invoices = [pki.sign(big_invoice(f"B{run}-{i}")) for i in range(5 + SEQUENTIAL + CONCURRENT)]
            url = f"https://127.0.0.1:{env['VENTANILLA_SOAP_PORT']}/ws/v2/FacturaService"
            e2e = end_to_end(url, invoices, client)
        finally:
            _ventanilla(env, "down")
    floor = sum(cpu for cpu, _ in stages.values())
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    print("| stage | CPU ms per invoice | wall ms per invoice |\n| --- | ---: | ---: |")
    for name, (cpu, wall) in stages.items():
        print(f"| {name} | {cpu:.2f} | {wall:.2f} |")
    print(f"| **sum (floor)** | **{floor:.2f}** | {sum(w for _, w in stages.values()):.2f} |")
    print(f"end to end, 1 client: mean {e2e['seq_mean']:.1f} ms, p99 {e2e['seq_p99']:.1f} ms "
          f"(ratio to the floor {e2e['seq_mean'] / floor:.1f}x)")
    cores = os.cpu_count() or 1
    print(f"end to end, {CLIENTS} clients: {e2e['throughput']:.1f} invoices/s, mean {e2e['conc_mean']:.1f} ms, "
          f"p99 {e2e['conc_p99']:.1f} ms; floor bound {cores * 1000 / floor:.0f} invoices/s on {cores} cores "
          f"(ratio {cores * 1000 / floor / e2e['throughput']:.1f}x)")


if __name__ == "__main__":
    main()

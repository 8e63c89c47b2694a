"""Issue 2 figures: cold and warm `make up`, and one enviarFactura / consultarFactura on this machine."""
from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.benchstack import bench_env  # noqa: E402  (the shared private-stack environment)

SAMPLE = ROOT / ".." / "shared" / "reference" / "facturae" / "samples" / "v3.2.2" / "invopop_invoice-face_unsigned.xml"
NS = "http://v2.ws.efactura.ceh.gobiernodecanarias.org/"
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}


def environment(state: Path) -> dict[str, str]:
    """A private stack: own state dir and free ports, so nothing else on the machine is touched."""
    return bench_env(state)


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds a command takes; fails loudly."""
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def invoice(number: str) -> bytes:
    """The public sample with another invoice number (a new business key)."""
    root = etree.fromstring(SAMPLE.read_bytes())
    root.find(".//InvoiceNumber").text = number
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def envelope(operation: str, body: str) -> bytes:
    """A SOAP request."""
    return (f'<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><ns2:{operation} '
            f'xmlns:ns2="{NS}">{body}</ns2:{operation}></S:Body></S:Envelope>').encode()


def latencies(session: requests.Session, url: str, bodies: list[bytes]) -> list[float]:
    """Milliseconds per request, sequentially, one kept-alive TLS connection."""
    out = []
    for body in bodies:
        start = time.perf_counter()
        response = session.post(url, data=body, headers=HEADERS, timeout=30)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text[:500]
    return out


def summary(values: list[float]) -> str:
    """median and p90 of a sample."""
    ordered = sorted(values)
    return f"median {statistics.median(ordered):.1f} ms, p90 {ordered[int(0.9 * (len(ordered) - 1))]:.1f} ms (n={len(ordered)})"


def supplier_session(clone: Path, env: dict[str, str], state: Path) -> requests.Session:
    """HTTPS with a dev client certificate of the sample's seller (B23103039), as an integrator calls."""
    out = state / "clients" / "B23103039"
    subprocess.run([str(clone / ".venv" / "bin" / "ventanilla"), "dev-pki", "client", "--nif", "B23103039",
                    "--out", str(out)], env=env, check=True, stdout=subprocess.DEVNULL)
    session = requests.Session()
    session.cert, session.verify = (str(out / "client.pem"), str(out / "client.key.pem")), str(out / "ca.pem")
    session.trust_env = False
    return session


def requests_per_operation(session: requests.Session, env: dict[str, str], runs: int = 30) -> dict[str, list[float]]:
    """Latency of version, enviarFactura (inline) and consultarFactura against a running stack."""
    import base64
    url = f"https://127.0.0.1:{env['VENTANILLA_SOAP_PORT']}/ws/v2/FacturaService"
    run = uuid.uuid4().hex[:6]
    sends = [envelope("enviarFactura", f"<facturae>{base64.b64encode(invoice(f'B{run}-{i}')).decode()}</facturae>")
             for i in range(runs)]
    version = latencies(session, url, [envelope("version", "")] * runs)
    sent = latencies(session, url, sends)
    ids = [int(i) for i in re.findall(r"<id>(\d+)</id>", session.post(url, data=sends[0], headers=HEADERS).text)]
    query = latencies(session, url, [envelope("consultarFactura", f"<idFactura>{i + 1}</idFactura>")
                                     for i in range(runs)])
    assert not ids  # the repeated submission was refused: facturaRepetida
    return {"version (edge only)": version, "enviarFactura": sent, "consultarFactura": query}


def main() -> None:
    """Clone, cold make up (with and without the broker download), warm make up, latencies."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}, "
          f"load average at start {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = {}
        for label, m2 in (("broker download excluded (warm ~/.m2)", None), ("broker download included (empty Maven repo)", tmp / "m2")):
            clone = tmp / f"clone-{len(results)}"
            subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
            env = environment(tmp / f"state-{len(results)}")
            if m2 is not None:
                env["MAVEN_OPTS"] = f"-Dmaven.repo.local={m2}"
            stages = {stage: timed(["make", stage], clone, env) for stage in ("install", "kafka-jars", "up")}
            results[label] = sum(stages.values())
            print(f"cold, {label}: " + ", ".join(f"make {k} {v:.1f} s" for k, v in stages.items()))
            timed(["make", "down"], clone, env)
            if m2 is None:
                results["warm make up (installed, state kept)"] = timed(["make", "up"], clone, env)
                session = supplier_session(clone, env, Path(env["VENTANILLA_STATE_DIR"]))
                for name, values in requests_per_operation(session, env).items():
                    print(f"{name:18s} {summary(values)}")
                timed(["make", "down"], clone, env)
        print(f"load average at end {os.getloadavg()[0]:.1f}")
        for label, seconds in results.items():
            print(f"{label:48s} {seconds:6.1f} s")


if __name__ == "__main__":
    main()

"""The edge's own CPU per request for each read operation and enviarFactura, in-process, beside Flask returning the same bytes:
`python tests/benchmarks/bench_edge_cpu.py [--quick]` (also run by `make bench`). The edge is wired as build()
wires it over backends answering at once (the typed gRPC clients over in-memory channels: the edge's work alone),
once with the direct path and once with spyne for every request (the path before issue 15's direct answers);
rounds interleaved, one thread, CPU time (process_time). Prints JSON and writes var/bench/edge_cpu.json."""
from __future__ import annotations

import base64
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ventanilla.api.v1 import invoice_pb2 as ipb  # noqa: E402
from ventanilla.api.v1 import services_pb2 as pb  # noqa: E402

from tests.benchmarks import flask_app  # noqa: E402
from tests.benchmarks.bench_soap_edge import machine, publish  # noqa: E402
from tests.unit.soap_edge.fakes import (PATH, ROOT_HEADERS, Client, FakeBackends, edge, envelope, include,  # noqa: E402
                                        invoice, multipart)

PART = {"Content-Type": "application/octet-stream", "Content-Transfer-Encoding": "binary"}

OUT = ROOT / "var" / "bench" / "edge_cpu.json"
GROUP = 500


def _backends() -> FakeBackends:
    """Backends that answer at once, with the sizes of the real answers (a 31 KB receipt, 500 states)."""
    receipt = os.urandom(31_000)
    states = {n: pb.StatesAnswer(items=[pb.StateItem(state=ipb.REGISTRADA_RCF if i % 3 else ipb.REGISTRADA,
                                                     remarks="" if i % 2 else "Recibida") for i in range(n)])
              for n in (1, GROUP)}  # built once: the backend's work is not the edge's
    registered = pb.SubmitInvoiceResponse(invoice=invoice(state=ipb.REGISTRADA), receipt_pdf=receipt, receipt_csv="C")
    return FakeBackends(answers={
        "SubmitInvoice": registered,
        "GetInvoice": pb.InvoiceAnswer(invoice=invoice(state=ipb.REGISTRADA), receipt_pdf=receipt),
        "GetStates": lambda request: states[len(request.ids)],
    })


def _enviar(anexo: bool) -> tuple[str, bytes]:
    """enviarFactura of a 100 KB Facturae as JAX-WS sends it (MTOM), with or without one 20 KB anexo."""
    inner = f"<facturae>{include('f@x')}</facturae>"
    parts = [(ROOT_HEADERS, b""), ({**PART, "Content-ID": "<f@x>"}, os.urandom(100 * 1024))]
    if anexo:
        inner += f"<anexos><nombre>anexo.pdf</nombre><contenido>{include('a@x')}</contenido></anexos>"
        parts.append(({**PART, "Content-ID": "<a@x>"}, os.urandom(20 * 1024)))
    parts[0] = (ROOT_HEADERS, envelope("enviarFactura", inner))
    return multipart(parts)


def _cases() -> dict[str, tuple[str, bytes]]:
    xml = "text/xml; charset=utf-8"
    factura = envelope("consultarFactura", "<idFactura>2527</idFactura>")
    facturae = base64.b64encode(os.urandom(100 * 1024)).decode()
    return {
        "enviarFactura (100 KB, MTOM; 31 KB receipt)": _enviar(anexo=False),
        "enviarFactura (100 KB + 20 KB anexo, MTOM)": _enviar(anexo=True),
        "enviarFactura (100 KB, inline base64)": (xml, envelope("enviarFactura", f"<facturae>{facturae}</facturae>")),
        "version": (xml, envelope("version")),
        "consultarEstadoFactura": (xml, envelope("consultarEstadoFactura", "<idFactura>2527</idFactura>")),
        "consultarFactura (31 KB receipt, inline)": (xml, factura),
        "consultarFactura (31 KB receipt, MTOM)": multipart([(ROOT_HEADERS, factura)]),
        f"consultarGrupoEstadosFactura ({GROUP} ids)": (xml, envelope(
            "consultarGrupoEstadosFactura", "".join(f"<facturaId>{10_000 + i}</facturaId>" for i in range(GROUP)))),
    }


def _cpu_per_request(client: Client, request: tuple[str, bytes], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        reply = client.post(request[1], request[0])
    assert reply.code == 200, reply.body[:300]
    return (time.process_time() - started) / count


def main(argv: list[str]) -> int:
    """Each case: rounds of `count` requests per app, interleaved; the median CPU per request and the ratios."""
    quick = "--quick" in argv
    rounds = 3
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    results = {"machine": machine(), "commit": commit.strip(), "command": "python tests/benchmarks/bench_edge_cpu.py "
               + " ".join(argv), "rounds": rounds, "cases": {}}
    backends = _backends()
    direct, spyne = Client(edge(backends)), Client(edge(backends, direct=False))
    for name, request in _cases().items():
        count = (20 if quick else 100) if "Grupo" in name else (60 if quick else 400) if "enviar" in name else \
            (200 if quick else 2000)
        reference = spyne.post(request[1], request[0]).body
        flask = Client(flask_app.build(SimpleNamespace(edge=SimpleNamespace(path=PATH)), reference))
        apps = {"edge, direct path": direct, "edge, spyne only (before)": spyne, "trivial Flask, same bytes": flask}
        samples: dict[str, list[float]] = {label: [] for label in apps}
        for _ in range(rounds):
            for label, client in apps.items():
                samples[label].append(_cpu_per_request(client, request, count))
        median = {label: statistics.median(values) for label, values in samples.items()}
        flask_s = median["trivial Flask, same bytes"]
        results["cases"][name] = {
            "requests_per_round": count, "answer_bytes": len(reference),
            **{label: {"cpu_us_per_request": round(value * 1e6, 1),
                       "rounds_us": [round(v * 1e6, 1) for v in samples[label]],
                       "flask_cpu_ratio": round(flask_s / value, 3)} for label, value in median.items()},
            "direct_speedup_over_spyne": round(median["edge, spyne only (before)"] / median["edge, direct path"], 2),
        }
        print(f"{name}: " + ", ".join(f"{k} {v * 1e6:.0f} us" for k, v in median.items()), file=sys.stderr,
              flush=True)
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

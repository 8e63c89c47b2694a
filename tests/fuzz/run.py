"""Seed a corpus and run the atheris fuzzer for a bounded time: `python -m tests.fuzz.run --seconds 60`."""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / ".." / "shared" / "reference" / "facturae" / "samples"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://v2.ws.efactura.ceh.gobiernodecanarias.org/"


def _envelope(operation: str, inner: str) -> bytes:
    return (f'<S:Envelope xmlns:S="{SOAP}"><S:Body><ns:{operation} xmlns:ns="{TNS}">{inner}</ns:{operation}>'
            "</S:Body></S:Envelope>").encode()


def seeds() -> dict[str, bytes]:
    """Valid inputs for every target (first byte: the target)."""
    found = {
        "version": b"\x01" + _envelope("version", ""),
        "consultar": b"\x01" + _envelope("consultarFactura", "<idFactura>7</idFactura>"),
        "grupo": b"\x01" + _envelope("consultarGrupoEstadosFactura", "<facturaId>1</facturaId><facturaId>2</facturaId>"),
        "enviar": b"\x01" + _envelope("enviarFactura", "<facturae>eA==</facturae><anexos><nombre>a.pdf</nombre>"
                                      "<contenido>eA==</contenido></anexos>"),
        "mtom": b"\x02--b\r\nContent-ID: <r>\r\nContent-Type: application/xop+xml\r\n\r\n" + _envelope(
            "enviarFactura", '<facturae><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" '
            'href="cid:p"/></facturae>') + b"\r\n--b\r\nContent-ID: <p>\r\n\r\n<x/>\r\n--b--\r\n",
        "content-type": b"\x03text/xml; charset=iso-8859-1\n" + _envelope("version", ""),
    }
    for path in sorted(SAMPLES.rglob("*")):
        if path.suffix in (".xml", ".xsig") and path.stat().st_size < 200_000:
            found[f"facturae-{path.stem}"] = b"\x00" + path.read_bytes()
    return found


def main() -> int:
    """Run the fuzzer; its exit status (0: nothing found)."""
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--seconds", type=int, default=60, help="total fuzzing time (default 60)")
    options.add_argument("--corpus", type=Path, help="a corpus directory to keep (default: a temporary one)")
    args = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="ventanilla-fuzz-") as scratch:
        corpus = args.corpus or Path(scratch)
        corpus.mkdir(parents=True, exist_ok=True)
        for name, data in seeds().items():
            (corpus / name).write_bytes(data)
        command = [sys.executable, str(ROOT / "tests" / "fuzz" / "fuzz_parsers.py"), str(corpus),
                   f"-max_total_time={args.seconds}", "-timeout=10", "-rss_limit_mb=2048", "-max_len=262144",
                   f"-artifact_prefix={scratch}/", "-print_final_stats=1"]
        finished = subprocess.run(command, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return finished.returncode


if __name__ == "__main__":
    sys.exit(main())

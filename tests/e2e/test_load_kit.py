"""A few seconds of the load kit (Locust, headless) against the session's stack: every scenario runs and reports."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ventanilla import pki

from .conftest import INTEGRATOR_NIF

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_a_smoke_run_of_every_scenario_reports_throughput_lag_and_no_fault(stack, signing_pki, tmp_path):
    signer_cert, signer_key = signing_pki.supplier.write(tmp_path, "signer")
    (tmp_path / "chain.pem").write_bytes(pki.pem(signing_pki.intermediate.certificate))
    client_cert, client_key = stack.client(INTEGRATOR_NIF)
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "tests.load.run", "--profile", "smoke", "--seconds", "10", "--out", str(out),
         "--url", stack.soap_url, "--client-cert", client_cert, "--client-key", client_key, "--server-ca", stack.ca,
         "--signer-cert", str(signer_cert), "--signer-key", str(signer_key),
         "--signer-chain", str(tmp_path / "chain.pem"), "--kafka", stack.settings.kafka.bootstrap_servers,
         "--backoffice-topic", stack.settings.topics.backoffice_updates],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr + (out / "locust.log").read_text()
    text = (out / "report.md").read_text()
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ") for line in text.splitlines() if line.startswith("| ")}
    for operation in ("consultarEstadoFactura", "consultarEstadoFacturaPorValores"):
        assert int(rows[operation][1]) > 0, text
    submitted = sum(int(rows[name][1]) for name in ("enviarFactura (mtom)", "enviarFactura (inline)") if name in rows)
    assert submitted > 0, text
    assert "## Faults by key\n\nNone." in text, text
    assert "updates timed (0 not visible" in text, text  # back-office updates reached the client
    assert (out / "locust.html").stat().st_size > 0

"""`ventanilla dev-pki init|client` as an operator runs them: files, modes, names, idempotence."""
from __future__ import annotations

import ipaddress
import os
import stat
import subprocess
import sys

import pytest
from cryptography import x509

from ventanilla.certnif import certificate_nif

pytestmark = pytest.mark.integration


def _ventanilla(state, *args) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")}, "VENTANILLA_STATE_DIR": str(state)}
    return subprocess.run([sys.executable, "-m", "ventanilla.cli", "dev-pki", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def _cert(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_init_then_clients(tmp_path):
    state, pki = tmp_path / "state", tmp_path / "state" / "pki"
    assert _ventanilla(state, "init").returncode == 0
    for stem in ("ca", "server", "seal", "probe"):
        assert stat.S_IMODE((pki / f"{stem}.key.pem").stat().st_mode) == 0o600
    ca = (pki / "ca.pem").read_bytes()
    assert _ventanilla(state, "init").returncode == 0 and (pki / "ca.pem").read_bytes() == ca  # idempotent
    names = _cert(pki / "server.pem").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert certificate_nif(_cert(pki / "seal.pem"))[0] == "S2800000H"
    assert certificate_nif(_cert(pki / "probe.pem")) is None

    for nif, entity, expected in (("B23103039", "", "B23103039"), ("99999999R", "", "99999999R"),
                                  ("99999999R", "B23103039", "B23103039")):
        out = tmp_path / f"c-{nif}-{entity}"
        args = ["client", "--nif", nif, "--out", str(out)] + (["--entity-nif", entity] if entity else [])
        assert _ventanilla(state, *args).returncode == 0
        assert certificate_nif(_cert(out / "client.pem"))[0] == expected
        assert (out / "ca.pem").read_bytes() == ca
    refused = _ventanilla(state, "client", "--nif", "99999999A", "--out", str(tmp_path / "bad"))
    assert refused.returncode == 2 and "not a valid NIF" in refused.stdout

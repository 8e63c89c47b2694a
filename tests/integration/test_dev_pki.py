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


def test_the_seal_paths_docs_operations_names_are_where_the_seal_is(tmp_path):
    """docs/operations.md tells an operator which file a PDF reader must trust: it must exist, and verify the
    seal `ventanilla run` gives the registry (the dev PKI's), or the one a lone registry issues itself."""
    import re
    from pathlib import Path

    from registry_service.seal import dev_seal

    from ventanilla.cli_stack import seal_env
    from ventanilla.config import Settings

    text = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    named = set(re.findall(r"`var/((?:dev-)?pki/[a-z.-]+\.pem)`", text))
    assert {"pki/seal.pem", "pki/ca.pem", "dev-pki/seal-root.pem"} <= named, named
    state = tmp_path / "var"
    assert _ventanilla(state, "init").returncode == 0
    dev_seal(state / "dev-pki")  # what a registry on its own does in dev mode
    for name in named:
        assert (state / name).exists(), name
    given = seal_env(Settings.from_env({"VENTANILLA_STATE_DIR": str(state)}))
    assert given["VENTANILLA_SEAL_CERT"] == str(state / "pki" / "seal.pem")
    for seal, root in (("pki/seal.pem", "pki/ca.pem"), ("dev-pki/seal.pem", "dev-pki/seal-root.pem")):
        _cert(state / seal).verify_directly_issued_by(_cert(state / root))

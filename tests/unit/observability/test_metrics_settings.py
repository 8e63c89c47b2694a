"""Per-process /metrics addresses and their optional mutual TLS, from the environment."""
from __future__ import annotations

from pathlib import Path

import pytest

from ventanilla.config import METRICS_PROCESSES, MetricsSettings


def test_each_process_has_its_own_loopback_port_by_default():
    addresses = [MetricsSettings.from_env(p, {}).address for p in METRICS_PROCESSES]
    assert len(set(addresses)) == len(addresses)
    assert all(a.startswith("127.0.0.1:") and int(a.rsplit(":", 1)[1]) < 32768 for a in addresses)


def test_an_address_per_process_and_off():
    env = {"VENTANILLA_SOAP_METRICS_ADDRESS": "0.0.0.0:9100", "VENTANILLA_STATUS_METRICS_ADDRESS": "off"}
    assert MetricsSettings.from_env("soap-edge", env).address == "0.0.0.0:9100"
    assert MetricsSettings.from_env("status", env).address is None


def test_tls_files_go_together(tmp_path):
    env = {"VENTANILLA_METRICS_TLS_CERT": str(tmp_path / "c.pem")}
    with pytest.raises(ValueError, match="go together"):
        MetricsSettings.from_env("registry", env)
    env.update(VENTANILLA_METRICS_TLS_KEY=str(tmp_path / "k.pem"), VENTANILLA_METRICS_TLS_CLIENT_CA=str(tmp_path / "ca"))
    settings = MetricsSettings.from_env("registry", env)
    assert settings.tls_cert == (tmp_path / "c.pem").resolve() and isinstance(settings.client_ca, Path)

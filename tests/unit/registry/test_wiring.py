"""The registry's composition: loud warnings for missing safeguards, the development seal, PostgreSQL or SQLite."""
from __future__ import annotations

import logging

import pytest

from registry_service.wiring import build_claims, build_intake, build_seal, build_sede
from tests.support.registry import SCHEMAS
from ventanilla.adapters.claims import SqliteClaims
from ventanilla.config import Settings


def settings(tmp_path, **env) -> Settings:
    return Settings.from_env({"VENTANILLA_STATE_DIR": str(tmp_path), **env})


def test_missing_schemas_and_trust_store_are_warned_about(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="registry"):
        build_intake(settings(tmp_path, VENTANILLA_REQUIRE_SIGNATURE="0"))
    warnings = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "SCHEMA VALIDATION IS OFF" in warnings and "NO SIGNATURE TRUST STORE" in warnings
    assert "NOT REQUIRED" in warnings


def test_configured_schemas_and_trust_store_are_not_warned_about(tmp_path, caplog, signing_pki):
    with caplog.at_level(logging.INFO, logger="registry"):
        build_intake(settings(tmp_path, VENTANILLA_FACTURAE_SCHEMAS=str(SCHEMAS),
                              VENTANILLA_TRUST_STORE=str(signing_pki.trust_store), VENTANILLA_CRLS=str(signing_pki.crls)))
    # the registry's own warnings (a Kafka client left running by an earlier test may warn in the same process)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.split(".")[0] in ("registry", "ventanilla")]


def test_the_development_seal_is_created_once_and_refused_outside_dev_mode(tmp_path):
    first = build_seal(settings(tmp_path))
    again = build_seal(settings(tmp_path))
    assert first.certificate == again.certificate
    assert (tmp_path / "dev-pki" / "seal-root.pem").exists()
    assert (tmp_path / "dev-pki" / "seal.key.pem").stat().st_mode & 0o077 == 0
    with pytest.raises(SystemExit, match="VENTANILLA_SEAL_CERT"):
        build_seal(settings(tmp_path / "prod", VENTANILLA_DEV_MODE="0"))


def test_a_configured_seal_is_used(tmp_path):
    from ventanilla import pki

    root = pki.issue_ca(pki.name("Sede CA"))
    cert, key = pki.issue_leaf(root, pki.name("Sello de la sede"), pki.Usage.SIGNING).write(tmp_path, "sello")
    seal = build_seal(settings(tmp_path, VENTANILLA_DEV_MODE="0", VENTANILLA_SEAL_CERT=str(cert),
                               VENTANILLA_SEAL_KEY=str(key)))
    assert "Sello de la sede" in seal.certificate.subject.rfc4514_string()


def test_claims_default_to_sqlite_in_the_state_dir(tmp_path):
    assert isinstance(build_claims(settings(tmp_path)), SqliteClaims)
    assert (tmp_path / "registry" / "claims.sqlite3").exists()


def test_the_sede_is_canarian_by_default_and_verifies_at_the_edge_unless_a_public_url_is_set(tmp_path):
    local = build_sede(settings(tmp_path, VENTANILLA_SOAP_HOST="127.0.0.1", VENTANILLA_SOAP_PORT="8443"))
    assert local.zone.key == "Atlantic/Canary"
    assert local.verification_url("ABC") == "https://127.0.0.1:8443/comprobantes/ABC"
    public = build_sede(settings(tmp_path, VENTANILLA_TIME_ZONE="Europe/Madrid",
                                 VENTANILLA_SOAP_PUBLIC_URL="https://sede.example.es/facturas/"))
    assert public.zone.key == "Europe/Madrid"
    assert public.verification_url("ABC") == "https://sede.example.es/facturas/comprobantes/ABC"


def test_a_time_zone_that_does_not_exist_fails_at_start(tmp_path):
    with pytest.raises(ValueError, match="VENTANILLA_TIME_ZONE"):
        settings(tmp_path, VENTANILLA_TIME_ZONE="Canarias/LasPalmas")


def test_a_replicated_registry_refuses_a_file_claims_store(tmp_path):
    with pytest.raises(SystemExit) as refused:
        build_claims(settings(tmp_path, VENTANILLA_REGISTRY_REPLICAS="2"))
    assert "VENTANILLA_CLAIMS_DSN" in str(refused.value) and "REPLICAS=2" in str(refused.value)
    assert not (tmp_path / "registry").exists()  # nothing was created
    assert isinstance(build_claims(settings(tmp_path, VENTANILLA_REGISTRY_REPLICAS="1")), SqliteClaims)

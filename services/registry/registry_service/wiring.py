"""Startup loading of what the registry judges with: schemas, trust material, the receipt seal and sede."""
from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from ventanilla.adapters.claims import SqliteClaims
from ventanilla.config import Settings
from ventanilla.facturae.intake import FacturaeIntake
from ventanilla.facturae.schema import FacturaeSchemas
from ventanilla.facturae.trust import CertificateChecker, TrustMaterial
from registry_service.receipt import Sede
from registry_service.seal import ReceiptSeal, dev_seal, load_seal

log = logging.getLogger("registry")
ISSUER = "Ventanilla – Punto General de Entrada de Facturas Electrónicas"


def build_intake(settings: Settings) -> FacturaeIntake:
    """The Facturae checks as configured, each missing safeguard logged as a warning."""
    schemas = None
    if settings.facturae_schemas is not None:
        schemas = FacturaeSchemas.load(settings.facturae_schemas)
        log.info("Facturae schema validation on", extra={"schemas": str(settings.facturae_schemas)})
    else:
        log.warning("FACTURAE SCHEMA VALIDATION IS OFF: set VENTANILLA_FACTURAE_SCHEMAS to a schema directory "
                    "(`make schemas`); only the parser and the business rules judge invoices")
    checker = None
    if settings.trust_store is not None:
        material = TrustMaterial.load(settings.trust_store, settings.crls)
        checker = CertificateChecker(material, settings.revocation_policy, settings.revocation_fetch)
        log.info("signature trust store loaded", extra={
            "roots": len(material.roots), "intermediates": len(material.intermediates), "crls": len(material.crls),
            "revocation_policy": settings.revocation_policy, "revocation_fetch": settings.revocation_fetch})
    else:
        log.warning("NO SIGNATURE TRUST STORE: set VENTANILLA_TRUST_STORE; signed invoices are refused with "
                    "facturae.error.truster")
    if not settings.require_signature:
        log.warning("SIGNATURES ARE NOT REQUIRED (VENTANILLA_REQUIRE_SIGNATURE=0): unsigned invoices are registered")
    return FacturaeIntake(schemas, checker, settings.require_signature)


def build_seal(settings: Settings) -> ReceiptSeal:
    """The configured receipt seal; in dev mode without one, a development seal in the state directory."""
    if settings.seal_cert is not None and settings.seal_key is not None:
        return load_seal(settings.seal_cert, settings.seal_key)
    if not settings.dev_mode:
        raise SystemExit("VENTANILLA_SEAL_CERT and VENTANILLA_SEAL_KEY are required when VENTANILLA_DEV_MODE=0")
    directory = settings.path("dev-pki")
    log.warning("receipts are sealed with a DEVELOPMENT seal certificate (VENTANILLA_DEV_MODE)",
                extra={"directory": str(directory)})
    return dev_seal(directory)


def build_sede(settings: Settings, issuer: str = ISSUER) -> Sede:
    """What receipts say of the entry point: its name, its time zone, the public URL that verifies them."""
    return Sede(issuer, ZoneInfo(settings.time_zone), settings.receipt_url)


def build_claims(settings: Settings):
    """PostgreSQL claims when VENTANILLA_CLAIMS_DSN is set (several hosts), else SQLite (one host)."""
    if settings.claims_dsn:
        from ventanilla.adapters.claims_postgres import PostgresClaims

        log.info("claims in PostgreSQL")
        return PostgresClaims(settings.claims_dsn)
    return SqliteClaims(settings.path("registry", "claims.sqlite3"))

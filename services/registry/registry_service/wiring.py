"""Startup loading of what the registry judges with: schemas, trust material, the receipt seal and sede."""
from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from ventanilla.adapters.claims import SqliteClaims
from ventanilla.config import Settings
from ventanilla.facturae.configured import build_intake  # noqa: F401 - the registry's checks, as configured
from registry_service.receipt import Sede
from registry_service.seal import ReceiptSeal, dev_seal, load_seal

log = logging.getLogger("registry")
ISSUER = "Ventanilla – Punto General de Entrada de Facturas Electrónicas"


def build_seal(settings: Settings) -> ReceiptSeal:
    """The configured receipt seal; in dev mode without one, a development seal in the state directory."""
    if settings.registry.seal_cert is not None and settings.registry.seal_key is not None:
        return load_seal(settings.registry.seal_cert, settings.registry.seal_key)
    if not settings.dev_mode:
        raise SystemExit("VENTANILLA_SEAL_CERT and VENTANILLA_SEAL_KEY are required when VENTANILLA_DEV_MODE=0")
    directory = settings.path("dev-pki")
    log.warning("receipts are sealed with a DEVELOPMENT seal certificate (VENTANILLA_DEV_MODE)",
                extra={"directory": str(directory)})
    return dev_seal(directory)


def build_sede(settings: Settings, issuer: str = ISSUER) -> Sede:
    """What receipts say of the entry point: its name, its time zone, the public URL that verifies them."""
    return Sede(issuer, ZoneInfo(settings.time_zone), settings.edge.receipt_url)


def build_claims(settings: Settings):
    """PostgreSQL claims when VENTANILLA_CLAIMS_DSN is set (several hosts), else SQLite (one host).

    A registry told it has replicas (VENTANILLA_REGISTRY_REPLICAS > 1) refuses the file store: each replica
    would keep its own claims and hand out the same ids.
    """
    if settings.registry.claims_dsn:
        from ventanilla.adapters.claims_postgres import PostgresClaims

        log.info("claims in PostgreSQL")
        return PostgresClaims(settings.registry.claims_dsn)
    if settings.registry.replicas > 1:
        raise SystemExit(f"VENTANILLA_REGISTRY_REPLICAS={settings.registry.replicas}, but the claims store is a "
                         "SQLite file of this host: replicas would hand out the same invoice ids. Set "
                         "VENTANILLA_CLAIMS_DSN to the shared PostgreSQL database, or run one replica.")
    return SqliteClaims(settings.path("registry", "claims.sqlite3"))

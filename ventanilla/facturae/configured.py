"""The Facturae checks as configured (schemas, trust material, revocation): shared by the registry and the portal."""
from __future__ import annotations

import logging
from datetime import timedelta

from ventanilla.config import Settings
from ventanilla.facturae.intake import FacturaeIntake
from ventanilla.facturae.path_cache import AcceptedPaths
from ventanilla.facturae.schema import FacturaeSchemas
from ventanilla.facturae.trust import CertificateChecker, TrustMaterial

log = logging.getLogger("registry")


def build_intake(settings: Settings) -> FacturaeIntake:
    """The Facturae checks as configured, each missing safeguard logged as a warning."""
    schemas = None
    if settings.registry.facturae_schemas is not None:
        schemas = FacturaeSchemas.load(settings.registry.facturae_schemas)
        log.info("Facturae schema validation on", extra={"schemas": str(settings.registry.facturae_schemas)})
    else:
        log.warning("FACTURAE SCHEMA VALIDATION IS OFF: set VENTANILLA_FACTURAE_SCHEMAS to a schema directory "
                    "(`make schemas`); only the parser and the business rules judge invoices")
    checker = certificate_checker(settings)
    if checker is None:
        log.warning("NO SIGNATURE TRUST STORE: set VENTANILLA_TRUST_STORE; signed invoices are refused with "
                    "facturae.error.truster")
    if not settings.registry.require_signature:
        log.warning("SIGNATURES ARE NOT REQUIRED (VENTANILLA_REQUIRE_SIGNATURE=0): unsigned invoices are registered")
    return FacturaeIntake(schemas, checker, settings.registry.require_signature)


def certificate_checker(settings: Settings) -> CertificateChecker | None:
    """The signer-certificate checks under VENTANILLA_TRUST_STORE/CRLS and the revocation policy; None without."""
    if settings.trust.store is None:
        return None
    material = TrustMaterial.load(settings.trust.store, settings.trust.crls)
    log.info("signature trust store loaded", extra={
        "roots": len(material.roots), "intermediates": len(material.intermediates), "crls": len(material.crls),
        "revocation_policy": settings.registry.revocation_policy, "revocation_fetch": settings.trust.revocation_fetch,
        "certificate_path_cache_s": settings.registry.certificate_path_cache_s})
    return CertificateChecker(material, settings.registry.revocation_policy, settings.trust.revocation_fetch,
                              AcceptedPaths(max_age=timedelta(seconds=settings.registry.certificate_path_cache_s)))

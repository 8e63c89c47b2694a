"""Who may submit an invoice: its own supplier, or a registered third-party billing service."""
from __future__ import annotations

from typing import AbstractSet

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.nif import canonical, same


def check_submitter(caller_nif: str, supplier_nif: str, third_party_billers: AbstractSet[str]) -> None:
    """Refuse a submission by someone who is neither the seller nor a registered third-party biller."""
    caller = canonical(caller_nif)
    if not caller:
        raise DomainError(ErrorKey.CERTIFICADO_SIN_NIF)
    if caller == canonical(supplier_nif) or caller in {canonical(n) for n in third_party_billers}:
        return
    raise DomainError(ErrorKey.FACTURA_INVALIDA, (
        f"El NIF del certificado ({caller}) no es el del proveedor de la factura ({canonical(supplier_nif)[:20]}) "
        "ni el de un servicio de facturación de terceros registrado: no puede presentar esta factura."))


def check_integrator_submitter(integrator_nif: str, third_party: bool, supplier_nif: str) -> None:
    """Refuse a submission through an integrator's platform for another seller, unless it serves third parties."""
    if third_party or same(integrator_nif, supplier_nif):
        return
    raise DomainError(ErrorKey.FACTURA_INVALIDA, (
        f"El integrador {canonical(integrator_nif)} no es el proveedor de la factura "
        f"({canonical(supplier_nif)[:20]}) ni ofrece «Servicios a terceros» en el portal de integradores: "
        "no puede presentar esta factura."))

"""The caller the edge forwards (services.proto Caller), as the use cases take it."""
from __future__ import annotations

from ventanilla.domain.invoice import Channel


def channel(caller) -> Channel | None:
    """The integrator platform the caller's certificate is registered to (registered mode); None in open mode."""
    return Channel(caller.integrator_nif, caller.platform_id) if caller.integrator_nif else None


def party(caller) -> str:
    """Whose invoices the caller may see: its integrator's NIF in registered mode, else its certificate's NIF."""
    return caller.integrator_nif or caller.nif

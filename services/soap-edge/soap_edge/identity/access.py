"""Who may call the edge: any identified certificate (`open`), or only the portal's sending platforms (`registered`)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable, Protocol

from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.integrators_directory import REASONS, Credential, Unrecognized

from soap_edge.identity.caller import Caller

log = logging.getLogger("soap_edge.access")

Credentials = Callable[[str, datetime], "Credential | Unrecognized"]
HINT = " Regístrelo en una plataforma con el rol «Servicio de envío» en el portal de integradores."
NOT_SENDING = "La plataforma del certificado no tiene el rol «Servicio de envío» o no está activa."
# invariant 8: before the directory has caught up, an unknown certificate may just not have been read yet
NOT_READY = ("El servicio se está iniciando y aún no conoce los certificados del portal de integradores; "
             "inténtelo de nuevo en unos segundos.")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Access(Protocol):
    """The backends' Caller for an identified caller, or the refusal of one that may not call."""

    mode: str

    def caller(self, who: Caller, request_id: str) -> pb.Caller: ...

    def ready(self) -> bool: ...


class OpenAccess:
    """Today's rule: the certificate's NIF submits and sees its own invoices (the backends check which)."""

    mode = "open"

    def caller(self, who: Caller, request_id: str) -> pb.Caller:
        """The certificate's NIF."""
        return pb.Caller(nif=who.nif, request_id=request_id)

    def ready(self) -> bool:
        """Nothing to wait for."""
        return True


class RegisteredAccess:
    """Only a certificate registered in the portal to an active platform with the sending role.

    credentials: the integrators directory's answer for a certificate fingerprint at a moment (a local
    projection: no network round trip); ready: whether that projection has caught up.
    """

    mode = "registered"

    def __init__(self, credentials: Credentials, ready: Callable[[], bool], now: Callable[[], datetime] = _now):
        self._credentials, self._ready, self._now = credentials, ready, now

    def caller(self, who: Caller, request_id: str) -> pb.Caller:
        """The caller with its integrator, platform and third-party flag; credenciales.error.certificado.nif if none."""
        if not self._ready():
            raise DomainError(ErrorKey.REGISTRO, NOT_READY)
        found = self._credentials(who.fingerprint, self._now())
        if isinstance(found, Unrecognized):
            self._refuse(who, request_id, found.reason, REASONS[found.reason] + HINT)
        if not found.may_send:
            self._refuse(who, request_id, "not_sending", NOT_SENDING + HINT)
        return pb.Caller(nif=who.nif, request_id=request_id, integrator_nif=found.integrator_nif,
                         platform_id=found.platform_id, third_party=found.third_party)

    def ready(self) -> bool:
        """Whether the directory has caught up with the portal's events as of the edge's start."""
        return self._ready()

    @staticmethod
    def _refuse(who: Caller, request_id: str, reason: str, detail: str) -> None:
        log.warning("certificate refused", extra={"request_id": request_id, "caller": str(who),
                                                  "fingerprint": who.fingerprint, "reason": reason})
        raise DomainError(ErrorKey.CERTIFICADO_SIN_NIF, detail)

"""The edge's client certificates checked against revocation (ventanilla/adapters/client_revocation.py) before access.

Refused: a revoked certificate, and with `hard-fail` one whose status is unknown (`VENTANILLA_SOAP_CLIENT_REVOCATION`).
"""
from __future__ import annotations

import logging

from ventanilla.adapters.client_revocation import ClientRevocation, watched
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.config import Settings
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.identity.access import Access
from soap_edge.identity.caller import Caller

log = logging.getLogger("soap_edge.revocation")


class RevocationChecked:
    """An Access that first refuses a revoked certificate (or, hard-fail, one whose status is unknown)."""

    def __init__(self, inner: Access, revocation: ClientRevocation):
        self._inner, self._revocation = inner, revocation
        self.mode = inner.mode

    def caller(self, who: Caller, request_id: str) -> pb.Caller:
        """The inner access's caller, once the certificate's revocation status allows it."""
        refusal = self._revocation.refusal(who.fingerprint, who.certificate)
        if refusal is not None:
            reason, message = refusal
            log.warning("certificate refused", extra={"request_id": request_id, "caller": str(who),
                                                      "fingerprint": who.fingerprint, "reason": reason})
            raise DomainError(ErrorKey.CERTIFICADO_SIN_NIF, message)
        return self._inner.caller(who, request_id)

    def ready(self) -> bool:
        return self._inner.ready()


def configured(settings: Settings, inner: Access) -> Access:
    """`inner`, checked against revocation as VENTANILLA_SOAP_CLIENT_REVOCATION says (its watch started)."""
    revocation = watched(settings.edge.client_revocation, settings.edge.client_revocation_period_s,
                         settings.edge.client_ca, settings.trust.crls, settings.trust.revocation_fetch)
    return inner if revocation is None else RevocationChecked(inner, revocation)

"""The gateway's use cases: authenticate the caller's certificate (registered, not revoked), check the invoice is of
its units, then act."""
from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

from ventanilla.domain.integrators_directory import REASONS, Credential, Unrecognized
from ventanilla.logs import Everyso
from ventanilla.ports import Clock
from backoffice_gateway.ports import (BackOffice, BackendUnavailable, Directory, InvoiceNotFound, Outbox,
                                     Revocation, Stamp)

log = logging.getLogger("backoffice_gateway")
VERDICT_UNSPECIFIED = 0  # backoffice.proto's CancellationVerdict.VERDICT_UNSPECIFIED: no verdict given


class Refused(Exception):
    """A call the gateway will not serve: `code` names the gRPC status (UNAUTHENTICATED, PERMISSION_DENIED, ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Accepted:
    """A message appended: its invoice, its message id (the sender's or one given), the platform that sent it."""

    invoice_id: int
    message_id: str
    source_system: str


@dataclass(frozen=True)
class Call:
    """Who knocks: the method, the peer's address and its verified client certificate (DER), if any."""

    method: str
    peer: str
    certificate: bytes | None

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.certificate).hexdigest() if self.certificate else ""


class Gateway:
    """Authorizes every call against the integrators directory; appends stamped messages; relays reads."""

    def __init__(self, directory: Directory, outbox: Outbox, back_office: BackOffice, clock: Clock,
                 revocation: Revocation | None = None, refusals=None):
        self._directory, self._outbox, self._back_office, self._clock = directory, outbox, back_office, clock
        self._revocation = revocation  # None: not checked (VENTANILLA_BACKOFFICE_GATEWAY_CLIENT_REVOCATION=off)
        self._log_budget = Everyso(10.0)  # a caller knocking in a loop gets one line per reason every 10 s
        self._refusals = refusals  # ventanilla_backoffice_gateway_refusals_total, when metrics are kept

    def _counted(self, call: Call, reason: str, refused: Refused) -> Refused:
        """refused, counted by method and reason (never by caller: no NIF, no fingerprint in labels)."""
        if self._refusals is not None:
            self._refusals.labels(grpc_method=call.method, reason=reason).inc()
        return refused

    def _unavailable(self, call: Call, message: str) -> Refused:
        return self._counted(call, "backend_unavailable", Refused("UNAVAILABLE", message))

    def _refuse(self, call: Call, code: str, reason: str, message: str, **who) -> Refused:
        knocker = call.fingerprint or call.peer.rpartition(":")[0]
        if self._log_budget.due((knocker, reason)):
            log.warning("refused", extra={"method": call.method, "peer": call.peer, "fingerprint": call.fingerprint,
                                          "status": code, "reason": reason, **who})
        return self._counted(call, reason, Refused(code, message))

    def authenticate(self, call: Call) -> Credential:
        """The approved RCF platform the call's certificate is registered to, not revoked; Refused otherwise."""
        if not self._directory.ready():
            raise self._refuse(call, "UNAVAILABLE", "not_ready", "El servicio aún no está listo; reintente.")
        if not call.certificate:
            raise self._refuse(call, "UNAUTHENTICATED", "no_certificate", "Se necesita un certificado de cliente.")
        found = self._directory.credential(call.fingerprint, self._clock.now())
        if isinstance(found, Unrecognized):
            raise self._refuse(call, "UNAUTHENTICATED", found.reason, REASONS[found.reason],
                               integrator_nif=found.integrator_nif)
        refusal = self._revocation.refusal(call.fingerprint, call.certificate) if self._revocation else None
        if refusal:
            reason, message = refusal
            raise self._refuse(call, "UNAUTHENTICATED", reason, message,
                               integrator_nif=found.integrator_nif, platform_id=found.platform_id)
        if not found.is_back_office:
            raise self._refuse(call, "PERMISSION_DENIED", "not_back_office",
                               f"La plataforma {found.platform_id} no es una plataforma RCF aprobada.",
                               integrator_nif=found.integrator_nif, platform_id=found.platform_id)
        return found

    def _owned(self, call: Call, caller: Credential, invoice_id: int):
        """The invoice's history when its oficina contable is one of the caller's units (absent or another's: one
        answer, so that nobody learns which invoices exist)."""
        if invoice_id <= 0:
            raise self._refuse(call, "INVALID_ARGUMENT", "no_invoice", "Indique la factura (invoice_id).",
                               platform_id=caller.platform_id)
        try:
            history = self._back_office.history(invoice_id)
            unit = history.centres.oficina_contable
        except InvoiceNotFound:
            history, unit = None, ""
        except BackendUnavailable as error:
            raise self._unavailable(call, "El servicio de estados no responde; reintente.") from error
        if history is None or unit not in caller.dir3_units:
            raise self._refuse(call, "PERMISSION_DENIED", "not_registered" if history is None else "other_unit",
                               f"La factura {invoice_id} no es de ninguna oficina contable de la plataforma "
                               f"{caller.platform_id}.", integrator_nif=caller.integrator_nif,
                               platform_id=caller.platform_id, invoice_id=invoice_id, oficina_contable=unit)
        return history

    def _append(self, call: Call, caller: Credential, body: str, message) -> Accepted:
        stamp = Stamp(caller.platform_id, caller.integrator_nif, caller.fingerprint,
                      message.message_id.strip() or str(uuid.uuid4()), self._clock.now())
        try:
            self._outbox.append(body, message, stamp)
        except BackendUnavailable as error:
            raise self._unavailable(call, "No se pudo registrar el mensaje; reintente con el mismo message_id.") \
                from error
        log.info("appended", extra={"method": call.method, "platform_id": caller.platform_id,
                                    "invoice_id": message.invoice_id, "message_id": stamp.message_id})
        return Accepted(message.invoice_id, stamp.message_id, caller.platform_id)

    def update_state(self, call: Call, request) -> Accepted:
        """Append a state update for an invoice of the caller's units."""
        caller = self.authenticate(call)
        if request.state == 0:
            raise self._refuse(call, "INVALID_ARGUMENT", "no_state", "Indique el estado (state).",
                               platform_id=caller.platform_id)
        self._owned(call, caller, request.invoice_id)
        return self._append(call, caller, "state_update", request)

    def decide_cancellation(self, call: Call, request) -> Accepted:
        """Append a cancellation verdict for an invoice of the caller's units."""
        caller = self.authenticate(call)
        if request.verdict == VERDICT_UNSPECIFIED:
            raise self._refuse(call, "INVALID_ARGUMENT", "no_verdict", "Indique el veredicto (ACCEPTED o REJECTED).",
                               platform_id=caller.platform_id)
        self._owned(call, caller, request.invoice_id)
        return self._append(call, caller, "cancellation_verdict", request)

    def history(self, call: Call, invoice_id: int):
        """The history of an invoice of the caller's units."""
        return self._owned(call, self.authenticate(call), invoice_id)

    def documents(self, call: Call, invoice_id: int):
        """The documents of an invoice of the caller's units."""
        caller = self.authenticate(call)
        self._owned(call, caller, invoice_id)
        try:
            return self._back_office.documents(invoice_id)
        except (InvoiceNotFound, BackendUnavailable) as error:
            raise self._unavailable(call, "El servicio de estados no responde; reintente.") from error

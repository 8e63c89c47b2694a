"""Back-office intake: decide each contract message against the caught-up projection; the fold has the last word."""
from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Callable, Protocol

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice_commands import BackOfficeCommand, DecideCancellation
from ventanilla.domain.invoice_decide import decide, refused_in_log
from ventanilla.observability.catalogue import NO_FAULT
from ventanilla.ports import Clock, Log
from status_service.ports import Progress, Projection
from status_service.refusal import ContractViolation, Refusal, refusal_of

log = logging.getLogger("status.intake")


class Feedback(Protocol):
    """The feedback topic: what the back office is told of each refused message."""

    def refused(self, refusal: Refusal, at: datetime, platform: str = "") -> None: ...


class Owners(Protocol):
    """The integrators directory: which DIR3 units a platform holds (ventanilla/adapters/directory_follower.py)."""

    def ready(self) -> bool: ...

    def units_at(self, platform_id: str, at): ...


class ProjectionBehind(RuntimeError):
    """The projection did not reach a needed position in time: retry the message later."""


class BackOfficeIntake:
    """Turns each back-office message into invoice events, or into an UpdateRefused on the feedback topic."""

    def __init__(self, store: Projection, events: Log, feedback: Feedback, catch_up: Progress, clock: Clock,
                 translate: Callable[[bytes], BackOfficeCommand], sender_of: Callable[[bytes], str],
                 owners: Owners | None = None, require_sender: bool = False, counted=None):
        self._store, self._events, self._feedback = store, events, feedback
        self._catch_up, self._clock, self._translate, self._sender_of = catch_up, clock, translate, sender_of
        self._owners, self._require_sender = owners, require_sender
        self._counted = counted  # ventanilla_backoffice_messages_total, when metrics are kept

    def begin(self) -> None:
        """Before a batch: let the projection apply everything already in the invoice log."""
        if not self._catch_up.wait():
            raise ProjectionBehind("projection behind the invoice log")
        if self._owners is not None and not self._owners.ready():
            raise ProjectionBehind("the integrators directory has not caught up with its topic")

    def handle(self, value: bytes) -> str:
        """Apply one record of the back-office topic: 'applied', 'duplicate' or 'refused' (counted by kind)."""
        try:
            command = self._translate(value)
        except ContractViolation as violation:
            kind, outcome, refusal, sender = "unreadable", "refused", violation.refusal, ""
        else:
            kind = "cancellation_verdict" if isinstance(command, DecideCancellation) else "state_update"
            sender = self._sender_of(value)
            unauthorized = self._unauthorized(command, sender)
            if unauthorized is not None:
                outcome, refusal = "refused", refusal_of(command, unauthorized)
            else:
                outcome, refusal = self._apply(replace(command, command_id=str(uuid.uuid4())))
        if refusal is not None:
            self._refuse(refusal, sender)
        if self._counted is not None:
            reason = refusal.error.key.value if refusal is not None else NO_FAULT
            self._counted.labels(kind=kind, outcome=outcome, reason=reason).inc()
        return outcome

    def _apply(self, command) -> tuple[str, Refusal | None]:
        """Decide and append; the outcome, and the refusal to publish when refused."""
        try:
            events = self._decide_and_append(command)
        except DomainError as error:
            return "refused", refusal_of(command, error)
        invoice = self._store.load(command.invoice_id)
        if invoice.applied(command.message_id):
            outcome = "applied" if events else "duplicate"
            log.info("back-office message " + outcome,
                     extra={"invoice_id": command.invoice_id, "message_id": command.message_id})
            return outcome, None
        self._decide_and_append(command)  # the fold ignored it: its refusal is recorded in the log, once
        return "refused", refusal_of(command, refused_in_log(invoice, command))

    def _unauthorized(self, command, sender: str) -> DomainError | None:
        """Why the sender may not report on this invoice: no gateway stamp (when one is required), or the invoice's
        oficina contable is not one of the sending platform's DIR3 units now. Nothing is written for these."""
        if not sender:
            if not self._require_sender:
                return None
            return DomainError(ErrorKey.ESTADO_ACTUALIZACION, "El mensaje no lleva el remitente que sella la pasarela "
                                                              "de back offices (BackOfficeMessage v2); no se aplicó.")
        invoice = self._store.load(command.invoice_id)
        if invoice is None or self._owners is None:
            return None  # not registered: decide() refuses it
        unit = invoice.registration.centres.oficina_contable
        if unit in self._owners.units_at(sender, self._clock.now()):
            return None
        log.warning("back-office message from a platform without the invoice's unit", extra={
            "invoice_id": command.invoice_id, "message_id": command.message_id, "platform_id": sender,
            "oficina_contable": unit})
        return DomainError(ErrorKey.ESTADO_ACTUALIZACION, f"La oficina contable {unit} de la factura "
                                                          f"{command.invoice_id} no es de la plataforma {sender}; "
                                                          "no se aplicó.")

    def _decide_and_append(self, command) -> tuple:
        """Decide against the caught-up projection, append, and wait until the projection has folded it."""
        events = decide(self._store.load(command.invoice_id), command)
        for event in events:
            position = self._events.append(event)
            if not self._catch_up.reached(position.partition, position.offset + 1):
                raise ProjectionBehind(f"projection did not reach {position}")
        return events

    def end(self) -> None:
        """After a batch: nothing is buffered (every refusal was acknowledged)."""

    def _refuse(self, refusal: Refusal, sender: str = "") -> None:
        """Tell the feedback topic, for the sending platform only when there is one."""
        self._feedback.refused(refusal, self._clock.now(), sender)
        log.info("back-office message refused", extra={
            "invoice_id": refusal.invoice_id, "message_id": refusal.message_id, "key": refusal.error.key.value,
            "reason": refusal.error.detail})

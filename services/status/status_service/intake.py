"""Back-office intake: decide each contract message against the caught-up projection; the fold has the last word."""
from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import Protocol

from ventanilla.adapters.event_log import Position, invoice_partition_key
from ventanilla.adapters.projection_store import ProjectionStore
from ventanilla.domain.invoice_decide import decide, refused_in_log
from ventanilla.domain.errors import DomainError
from ventanilla.adapters.catch_up import CatchUp
from ventanilla.domain.invoice_commands import DecideCancellation
from ventanilla.observability.catalogue import NO_FAULT
from status_service.contract import ContractViolation, Refusal, refusal_of, translate, update_refused

log = logging.getLogger("status.intake")


class Log(Protocol):
    """The invoice event log."""

    def append(self, event) -> Position: ...


class Feedback(Protocol):
    """The feedback topic's producer."""

    def publish(self, topic: str, key: bytes, value: bytes, headers=None): ...


class ProjectionBehind(RuntimeError):
    """The projection did not reach a needed position in time: retry the message later."""


class Intake:
    """Turns each back-office message into invoice events, or into an UpdateRefused on the feedback topic."""

    def __init__(self, store: ProjectionStore, events: Log, feedback: Feedback, feedback_topic: str,
                 catch_up: CatchUp, clock, counted=None):
        self._store, self._events, self._feedback = store, events, feedback
        self._counted = counted  # ventanilla_backoffice_messages_total, when metrics are kept
        self._feedback_topic, self._catch_up, self._clock = feedback_topic, catch_up, clock

    def begin(self) -> None:
        """Before a batch: let the projection apply everything already in the invoice log."""
        if not self._catch_up.wait():
            raise ProjectionBehind("projection behind the invoice log")

    def handle(self, value: bytes) -> str:
        """Apply one record of the back-office topic: 'applied', 'duplicate' or 'refused' (counted by kind)."""
        try:
            command = translate(value)
        except ContractViolation as violation:
            kind, outcome, refusal = "unreadable", "refused", violation.refusal
        else:
            kind = "cancellation_verdict" if isinstance(command, DecideCancellation) else "state_update"
            outcome, refusal = self._apply(replace(command, command_id=str(uuid.uuid4())))
        if refusal is not None:
            self._refuse(refusal)
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

    def _refuse(self, refusal: Refusal) -> None:
        message = update_refused(refusal, self._clock.now())
        self._feedback.publish(self._feedback_topic, invoice_partition_key(refusal.invoice_id),
                               message.SerializeToString())
        log.info("back-office message refused", extra={
            "invoice_id": refusal.invoice_id, "message_id": refusal.message_id, "key": refusal.error.key.value,
            "reason": refusal.error.detail})

"""The portal's use cases: load the state, decide, append, wait for the read model, tell people."""
from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, fields
from datetime import timedelta

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_decide import Refused, decide
from ventanilla.domain.integrator_events import IntegratorEvent
from portal_service.mails import mails_for
from portal_service.ports import Clock, IntegratorLog, Mailer, ReadModel, Settle

log = logging.getLogger("portal.handlers")
EXPIRY_WARNINGS = (30, 7)


@dataclass(frozen=True)
class Actor:
    """Who acts (the logged-in person) and for which NIF (their own, or an integrator that authorized them)."""

    nif: str
    for_nif: str


class Portal:
    """Runs commands one at a time per process (the aggregate has no optimistic lock on Kafka)."""

    def __init__(self, log_: IntegratorLog, read_model: ReadModel, settle: Settle, mailer: Mailer, clock: Clock):
        self.read_model, self.clock = read_model, clock
        self._log, self._settle, self._mailer = log_, settle, mailer
        self._lock = threading.Lock()

    def run(self, actor: Actor, command_type: type[cmd.Command], **values) -> tuple[IntegratorEvent, ...]:
        """Decide a command for the actor against the state of actor.for_nif; Refused when not allowed."""
        with self._lock:
            command = command_type(command_id=uuid.uuid4().hex, nif=actor.for_nif, actor_nif=actor.nif,
                                   at=self.clock.now(), **values)
            return self._execute(command)

    def _execute(self, command: cmd.Command) -> tuple[IntegratorEvent, ...]:
        extra = self._facts(command)
        if extra:
            command = type(command)(**{**{f.name: getattr(command, f.name) for f in fields(command)}, **extra})
        events = decide(self.read_model.integrator(command.nif), command)
        if events:
            position = self._log.append(events)
            if position is not None and not self._settle(position):
                log.warning("read model behind the log after a write", extra={"nif": command.nif})
            log.info("decided", extra={"nif": command.nif, "actor": command.actor_nif,
                                       "events": [e.TYPE for e in events]})
            self._tell(events)
        return events

    def _facts(self, command: cmd.Command) -> dict:
        """Facts from outside the aggregate a command needs (looked up here, decided on in the domain)."""
        if isinstance(command, cmd.RegisterCertificate):
            holder = self.read_model.certificate_holder(command.facts.fingerprint)
            return {"held_elsewhere": holder not in (None, command.nif)}
        return {}

    def _tell(self, events) -> None:
        """Send the mails these events call for; a failing relay is logged, never the user's problem."""
        for to, subject, body in mails_for(events, self.read_model):
            try:
                self._mailer.send(to, subject, body)
            except Exception as error:  # noqa: BLE001 - any relay failure: the action stands
                log.warning("mail not sent", extra={"subject": subject, "error": type(error).__name__})

    def warn_expiring(self) -> int:
        """Warn every integrator whose certificates expire within 30 and 7 days, once each; how many warnings."""
        now, sent = self.clock.now(), 0
        for row in self.read_model.expiring(now + timedelta(days=max(EXPIRY_WARNINGS))):
            left = row.not_after - now
            due = [days for days in EXPIRY_WARNINGS if timedelta(0) < left <= timedelta(days=days)]
            if not due:
                continue
            with self._lock:  # the nearest threshold only: one mail, even when a run was missed
                command = cmd.NoticeCertificateExpiry(uuid.uuid4().hex, row.nif, "system", now,
                                                      fingerprint=row.fingerprint, days=min(due))
                try:
                    sent += len(self._execute(command))
                except Refused:
                    pass
        return sent

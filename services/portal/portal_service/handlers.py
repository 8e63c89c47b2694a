"""The portal's use cases: load the state, decide, append, wait for the read model, tell people."""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Callable

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_claims import Conflict, claim_for
from ventanilla.domain.integrator_decide import Refused, decide
from ventanilla.domain.integrator_events import IntegratorEvent
from portal_service.mails import mails_for
from ventanilla.ports import Clock
from portal_service.ports import IntegratorClaims, IntegratorLog, Mailer, ReadModel, Settle

log = logging.getLogger("portal.handlers")
EXPIRY_WARNINGS = (30, 7)
ATTEMPTS = 6
ABANDONED_AFTER = timedelta(minutes=5)  # a claim whose events never reached the log by then: its writer died


@dataclass(frozen=True)
class Actor:
    """Who acts (the logged-in person) and for which NIF (their own, or an integrator that authorized them)."""

    nif: str
    for_nif: str


class Portal:
    """Decides against the integrator's state, claims its next version (and certificates), then appends.

    Any number of portal processes may run: the claim is taken in the shared claims database, so a decision
    taken against a state another writer has already changed is decided again against the new state.
    """

    def __init__(self, log_: IntegratorLog, read_model: ReadModel, settle: Settle, mailer: Mailer, clock: Clock,
                 claims: IntegratorClaims, caught_up: Callable[[], bool] = lambda: True,
                 decided: Callable[[list[str]], None] = lambda event_types: None):
        self.read_model, self.clock = read_model, clock
        self._decided = decided  # hears the types of the events each command appended (metrics)
        self._log, self._settle, self._mailer, self._claims, self._caught_up = log_, settle, mailer, claims, caught_up

    def run(self, actor: Actor, command_type: type[cmd.Command], **values) -> tuple[IntegratorEvent, ...]:
        """Decide a command for the actor against the state of actor.for_nif; Refused when not allowed."""
        command = command_type(command_id=uuid.uuid4().hex, nif=actor.for_nif, actor_nif=actor.nif,
                               at=self.clock.now(), **values)
        return self._execute(command)

    def _execute(self, command: cmd.Command) -> tuple[IntegratorEvent, ...]:
        caught_up = False  # only a reader level with the log may judge another writer's claim abandoned
        for attempt in range(ATTEMPTS):
            extra = self._facts(command)
            if extra:
                command = type(command)(**{**{f.name: getattr(command, f.name) for f in fields(command)}, **extra})
            state = self.read_model.integrator(command.nif)
            events = decide(state, command)
            claim = claim_for(state, events, self.clock.now())
            if claim is not None:
                try:  # after a conflict and a full catch-up, a claim still ahead of the log may be a dead writer's
                    self._claims.record(claim, claim.at - ABANDONED_AFTER if caught_up else None)
                except Conflict:
                    log.info("decided against an old state: again", extra={"nif": command.nif, "attempt": attempt})
                    time.sleep(0.05 * attempt)  # the other writer's append may still be on its way to the log
                    caught_up = self._caught_up()
                    continue
            return self._append(command, events, claim)
        raise Refused("busy")

    def _append(self, command, events, claim) -> tuple[IntegratorEvent, ...]:
        if not events:
            return events
        try:
            position = self._log.append(events)
        except BaseException:
            if claim is not None:
                self._claims.undo(claim)
            raise
        if position is not None and not self._settle(position):
            log.warning("read model behind the log after a write", extra={"nif": command.nif})
        log.info("decided", extra={"nif": command.nif, "actor": command.actor_nif, "events": [e.TYPE for e in events]})
        self._decided([e.TYPE for e in events])
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
            # the nearest threshold only: one mail, even when a run was missed
            command = cmd.NoticeCertificateExpiry(uuid.uuid4().hex, row.nif, "system", now,
                                                  fingerprint=row.fingerprint, days=min(due))
            try:
                sent += len(self._execute(command))
            except Refused:
                pass
        return sent

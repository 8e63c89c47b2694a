"""The portal's decisions without the portal: commands decided by the real `decide`, events fed to a directory."""
from datetime import datetime, timedelta, timezone
from itertools import count

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator import evolve
from ventanilla.domain.integrator_decide import decide
from ventanilla.domain.integrators_directory import IntegratorsDirectory

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
BODY, COMPANY, STAFF = "Q2826000H", "B23103039", "00000000T"


class Portal:
    """Decides portal commands against per-NIF state and feeds every event to a directory, like the topic does."""

    def __init__(self):
        self.directory, self.states, self.events, self._ids = IntegratorsDirectory(), {}, [], count()

    def run(self, command_type, nif, at=AT, actor=None, **values):
        events = decide(self.states.get(nif), command_type(f"c{next(self._ids)}", nif, actor or nif, at, **values))
        for event in events:
            self.states[nif] = evolve(self.states.get(nif), event)
            assert self.directory.apply(event)
        self.events += events
        return events

    def integrator(self, nif, third_party=False):
        self.run(cmd.SignUp, nif, name=f"E {nif}", email="a@b.es", third_party=third_party, accepted_terms=True,
                 signed_document=b"<x/>")

    def certificate(self, nif, fingerprint, days=365):
        facts = cmd.CertificateFacts(fingerprint, b"der", "CN=x", "CN=ca", "1", nif, AT - timedelta(days=1),
                                     AT + timedelta(days=days), False)
        self.run(cmd.RegisterCertificate, nif, alias=fingerprint[:16], facts=facts, held_elsewhere=False)

    def platform(self, nif, platform_id, fingerprint, roles):
        self.run(cmd.CreatePlatform, nif, platform_id=platform_id, name=platform_id, roles=frozenset(roles),
                 fingerprint=fingerprint)

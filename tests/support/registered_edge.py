"""A second SOAP edge in `registered` mode beside a running stack, and integrators enrolled for it in the portal."""
from __future__ import annotations

import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ventanilla import stack as stack_spec
from ventanilla.adapters.portal_projection import PortalProjection
from ventanilla.config import Settings
from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_decide import Refused
from ventanilla.domain.integrator_events import Role
from ventanilla.processes import dying_with_parent, stop_popen
from portal_service.certificates import read_certificate
from portal_service.handlers import Actor
from tests.support.portal_kafka import start_portal
from tests.support.stack_env import free_ports

EDGE = next(s for s in stack_spec.SERVICES if s.name == "soap-edge")


@contextmanager
def registered_edge(env: dict[str, str], log: Path, **variables: str) -> Iterator[Settings]:
    """An edge in registered mode on a free port, over the stack's backends and integrators topic; its settings."""
    env = {**env, "VENTANILLA_SOAP_PORT": str(free_ports(1)[0]), "VENTANILLA_EDGE_ACCESS_MODE": "registered",
           "VENTANILLA_SOAP_WORKERS": "1", **variables}
    settings = Settings.from_env(env)
    with open(log, "ab") as out:
        process = subprocess.Popen(dying_with_parent([sys.executable, "-m", EDGE.module]), env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        waiting = stack_spec.unready_after(settings, 90.0, lambda: process.poll() is None, services=(EDGE,))
        assert not waiting, f"the registered edge is not ready; see {log}"
        yield settings
    finally:
        stop_popen(process, 20.0)


@dataclass
class Integrators:
    """The portal's use cases over the stack's integrators topic (its own read model), for enrolling integrators."""

    portal: object  # portal_service.handlers.Portal

    def sign_up(self, nif: str, third_party: bool = False) -> None:
        """Sign an integrator up (once: a later sign-up of the same NIF is the portal's refusal, ignored)."""
        try:
            self.portal.run(Actor(nif, nif), cmd.SignUp, name=f"Integrador {nif}", email="alta@ejemplo.es",
                            third_party=third_party, accepted_terms=True, signed_document=f"<alta {nif}/>".encode())
        except Refused:
            pass

    def platform(self, nif: str, certificate: Path, roles=(Role.SENDING,)) -> str:
        """Register a certificate (PEM file) and create a platform holding it; the platform id."""
        facts = read_certificate(certificate.read_bytes())
        self.portal.run(Actor(nif, nif), cmd.RegisterCertificate, alias=f"c-{uuid.uuid4().hex[:6]}", facts=facts,
                        held_elsewhere=False)
        platform_id = f"p-{uuid.uuid4().hex[:10]}"
        self.portal.run(Actor(nif, nif), cmd.CreatePlatform, platform_id=platform_id, name=f"Envío {platform_id}",
                        roles=frozenset(roles), fingerprint=facts.fingerprint)
        return platform_id

    def add_certificate(self, nif: str, platform_id: str, certificate: Path) -> str:
        """Register one more certificate and add it to a platform; its fingerprint."""
        facts = read_certificate(certificate.read_bytes())
        self.portal.run(Actor(nif, nif), cmd.RegisterCertificate, alias=f"c-{uuid.uuid4().hex[:6]}", facts=facts,
                        held_elsewhere=False)
        self.portal.run(Actor(nif, nif), cmd.AddPlatformCertificate, platform_id=platform_id,
                        fingerprint=facts.fingerprint)
        return facts.fingerprint

    def remove_certificate(self, nif: str, platform_id: str, fingerprint: str) -> None:
        """Take a certificate off its platform and remove it, as the portal's pages do."""
        self.portal.run(Actor(nif, nif), cmd.RemovePlatformCertificate, platform_id=platform_id,
                        fingerprint=fingerprint)
        self.portal.run(Actor(nif, nif), cmd.RemoveCertificate, fingerprint=fingerprint)

    def delete_platform(self, nif: str, platform_id: str) -> None:
        self.portal.run(Actor(nif, nif), cmd.DeletePlatform, platform_id=platform_id)


@contextmanager
def integrators(env: dict[str, str]) -> Iterator[Integrators]:
    """A portal built in this process on the stack's topics (the real Kafka adapter), stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="portal-") as scratch:
        process = start_portal(env, read_model=PortalProjection(Path(scratch) / "projection.sqlite3"))
        try:
            yield Integrators(process.portal)
        finally:
            process.stop()

"""Composition root of the portal: `python -m portal_service` serves it over HTTPS with gunicorn."""
from __future__ import annotations

import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from ventanilla.adapters import kafka_clients

from ventanilla.adapters.catch_up import CatchUp, end_offsets_reader
from ventanilla.adapters.clock import SystemClock
from ventanilla.adapters.dir3_catalogue import Dir3Catalogue
from ventanilla.adapters.integrator_claims import IntegratorClaims
from ventanilla.adapters.integrator_codec import decode
from ventanilla.adapters.integrator_log import KafkaIntegratorLog
from ventanilla.adapters.mail import SmtpMailer, SmtpRelay
from ventanilla.adapters.portal_projection import PortalProjection
from ventanilla.adapters.projector import Projector
from ventanilla.adapters.service_tls import opener
from ventanilla.config import MetricsSettings, PortalSettings, Settings
from ventanilla.facturae.configured import build_intake, certificate_checker
from ventanilla.facturae.trust import CertificateChecker, TrustMaterial
from ventanilla.logs import configure_logging
from ventanilla.observability.process import Observability
from portal_service.app import create_app
from portal_service.auth import CertificateLogin, OidcLogin
from portal_service.handlers import Portal
from portal_service.metering import Metering
from portal_service.registry import GrpcRegistry
from portal_service.signature import XadesVerifier
from portal_service.web import Deps

log = logging.getLogger("portal")


class UnconfiguredMailer:
    """No relay configured: say so in the log (never the contents), send nothing."""

    def send(self, to, subject, body) -> None:
        log.warning("mail not sent: VENTANILLA_SMTP_HOST is not set", extra={"recipients": len(to)})


@dataclass
class PortalProcess:
    """The wired portal: the WSGI app, the projector and expiry threads, what to close."""

    app: object
    portal: Portal
    projector: Projector | None = None
    closeables: list = field(default_factory=list)
    expiry_check_s: float = 3600.0
    caught_up: Callable[[], bool] = lambda: True
    stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list = field(default_factory=list)

    def start(self) -> None:
        """Start the background loops (projection, certificate-expiry warnings)."""
        targets = [self._warn_loop] + ([self.projector.run] if self.projector else [])
        for target in targets:
            thread = threading.Thread(target=target, daemon=True, name=target.__name__)
            thread.start()
            self._threads.append(thread)

    def _warn_loop(self) -> None:
        """Certificate-expiry warnings: a round at start (once the read model caught up), then periodically."""
        delay = 0.0
        while not self.stopping.wait(delay):
            try:
                if self.caught_up():
                    log.info("expiry warnings sent", extra={"warnings": self.portal.warn_expiring()})
                    delay = self.expiry_check_s
                else:
                    log.warning("expiry warnings postponed: the read model is behind the log")
                    delay = min(30.0, self.expiry_check_s)
            except Exception:  # noqa: BLE001 - logged; the next round tries again
                log.exception("certificate expiry warnings failed")
                delay = self.expiry_check_s

    def stop(self) -> None:
        """Stop the loops and close the adapters."""
        self.stopping.set()
        if self.projector:
            self.projector.stop()
        for thread in self._threads:
            thread.join(timeout=10)
        for closeable in self.closeables:
            closeable.close()


def secret_key(settings: Settings) -> str:
    """VENTANILLA_PORTAL_SECRET_KEY, else one kept in the state directory (mode 0600)."""
    if settings.portal.secret_key:
        return settings.portal.secret_key
    path = settings.path("portal", "secret_key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _ca_certificates(path: Path) -> tuple[asn1_x509.Certificate, ...]:
    if not path.exists():
        return ()
    data = path.read_bytes()
    blobs = [der for _, _, der in asn1_pem.unarmor(data, multiple=True)] if asn1_pem.detect(data) else [data]
    return tuple(asn1_x509.Certificate.load(der) for der in blobs)


def signature_checker(settings: Settings) -> CertificateChecker:
    """Sign-up signatures are judged like invoice signatures; in dev mode without a trust store, the dev CA."""
    checker = certificate_checker(settings)
    if checker is not None:
        return checker
    roots = _ca_certificates(settings.portal.client_ca)
    if not settings.dev_mode or not roots:
        raise SystemExit("VENTANILLA_TRUST_STORE is required to verify sign-up signatures")
    log.warning("sign-up signatures are checked against the DEVELOPMENT CA only (VENTANILLA_DEV_MODE)")
    return CertificateChecker(TrustMaterial(roots, (), ()), "soft-fail")


def _projection_target(target: str) -> Path | str:
    return target if PortalSettings.is_database_url(target) else Path(target)


def build(settings: Settings, *, overrides: dict | None = None, metrics=None) -> PortalProcess:
    """Wire the portal from settings; `overrides` replaces adapters by name (tests: fakes and test doubles);
    `metrics`: this worker's (none kept without)."""
    o, p = overrides or {}, settings.portal
    metering = Metering(metrics)
    read_model = o.get("read_model") or PortalProjection(_projection_target(p.projection))
    closeables, projector, caught_up = [], None, lambda: True
    if "settle" in o:
        settle = o["settle"]
    else:
        catch_up = CatchUp(end_offsets_reader(settings.kafka.bootstrap_servers, settings.topics.integrator_events,
                                              "portal-end-offsets"),
                           read_model.positions(settings.topics.integrator_events), settings.deadlines.read_your_writes_s)
        consumer = kafka_clients.consumer(settings.kafka.bootstrap_servers, security=settings.kafka.security,
                                          client_id="portal-projector",
                                 group_id=None, enable_auto_commit=False, auto_offset_reset="earliest", **kafka_clients.FOLLOWING)
        projector = Projector(consumer, read_model, settings.topics.integrator_events, catch_up, decode)
        settle = lambda position: catch_up.reached(position.partition, position.offset + 1)  # noqa: E731
        caught_up = catch_up.wait
    event_log = o.get("log")
    if event_log is None:
        event_log = KafkaIntegratorLog(settings.kafka.bootstrap_servers, settings.topics.integrator_events)
        closeables.append(event_log)
    mailer = o.get("mailer") or (SmtpMailer(SmtpRelay(p.smtp_host, p.smtp_port, p.smtp_sender, p.smtp_starttls,
                                                      p.smtp_username, p.smtp_password))
                                 if p.smtp_host else UnconfiguredMailer())
    claims = o.get("claims") or IntegratorClaims(_projection_target(p.claims))
    portal = Portal(event_log, read_model, settle, mailer, o.get("clock") or SystemClock(), claims, caught_up,
                    metering.decided)
    registry = o.get("registry") or GrpcRegistry(settings.addresses.registry, settings.addresses.status, open_channel=opener(
        settings.service_tls, "portal", {settings.addresses.registry: "registry", settings.addresses.status: "status"}))
    authenticators = {"certificate": o.get("certificate_login") or CertificateLogin()}
    deps = Deps(portal=portal, dir3=o.get("dir3") or Dir3Catalogue(_projection_target(p.dir3)),
                verifier=o.get("verifier") or XadesVerifier(signature_checker(settings)),
                intake=o.get("intake") or build_intake(settings), registry=registry,
                seal_roots=o.get("seal_roots", _ca_certificates(settings.edge.client_ca)),
                authenticators=authenticators, staff_nifs=p.staff_nifs, metering=metering)
    app = create_app(deps, secret_key(settings), p.receipts_per_minute, secure_cookies=o.get("secure_cookies", True))
    if p.oidc_issuer:
        authenticators["oidc"] = OidcLogin(app, p.oidc_issuer, p.oidc_client_id, p.oidc_client_secret,
                                           p.oidc_nif_claim)
    return PortalProcess(app, portal, projector, closeables + [registry], expiry_check_s=p.expiry_check_s,
                         caught_up=caught_up)


def main() -> None:
    """Serve the portal until SIGINT or SIGTERM."""
    from portal_service.server import PortalServer

    settings = Settings.from_env()
    configure_logging("portal", settings.log_level)
    PortalServer(settings, lambda s: build(s, metrics=Observability.worker("portal").metrics),
                 MetricsSettings.from_env("portal")).run()


if __name__ == "__main__":
    main()

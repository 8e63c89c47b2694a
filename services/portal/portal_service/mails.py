"""The emails that follow integrator events: who gets them and what they say (Spanish, then English)."""
from __future__ import annotations

from typing import Iterator

from ventanilla.domain import integrator_events as ev

Mail = tuple[tuple[str, ...], str, str]
_FOOTER = "\n\n--\nVentanilla · Portal de integradores. Este mensaje se envía automáticamente; no lo responda."


def _integrator_mail(read_model, nif: str, subject: str, body: str) -> Iterator[Mail]:
    state = read_model.integrator(nif)
    if state is not None and state.notification_addresses:
        yield state.notification_addresses, subject, body + _FOOTER


def _platform_name(read_model, event) -> str:
    state = read_model.integrator(event.nif)
    platform = state.platforms.get(event.platform_id) if state else None
    return platform.name if platform else event.platform_id


def mails_for(events, read_model) -> Iterator[Mail]:
    """Every mail the events call for."""
    for event in events:
        if isinstance(event, ev.SignedUp):
            yield (event.email,), "Alta como integrador confirmada / Integrator sign-up confirmed", (
                f"{event.name} (NIF {event.nif}) está dado de alta como integrador. Ya puede registrar"
                " certificados y crear plataformas.\n\n"
                f"{event.name} (NIF {event.nif}) is now an integrator: you can register certificates and"
                " create platforms." + _FOOTER)
        elif isinstance(event, ev.CertificateExpiryNoticed):
            state = read_model.integrator(event.nif)
            cert = state.certificates.get(event.fingerprint) if state else None
            if cert is None:
                continue
            when = cert.not_after.strftime("%d/%m/%Y")
            yield from _integrator_mail(
                read_model, event.nif, f"Su certificado «{cert.alias}» caduca en {event.days} días",
                f"El certificado «{cert.alias}» (n.º de serie {cert.serial_number}) caduca el {when}. Registre"
                " uno nuevo y añádalo a sus plataformas antes de esa fecha.\n\n"
                f"Your certificate \"{cert.alias}\" expires on {when} (in {event.days} days).")
        elif isinstance(event, ev.PlatformApproved):
            name = _platform_name(read_model, event)
            yield from _integrator_mail(
                read_model, event.nif, f"Plataforma «{name}» aprobada / Platform approved",
                f"La plataforma «{name}» ha sido aprobada como servicio de recepción (RCF).\n\n"
                f"Platform \"{name}\" was approved as a receiving (RCF) service.")
        elif isinstance(event, ev.PlatformRefused):
            name = _platform_name(read_model, event)
            yield from _integrator_mail(
                read_model, event.nif, f"Plataforma «{name}» rechazada / Platform refused",
                f"La plataforma «{name}» no ha sido aprobada. Motivo: {event.reason}\n\n"
                f"Platform \"{name}\" was refused. Reason: {event.reason}")
        elif isinstance(event, ev.UserAuthorized) and event.email:
            integrator = read_model.integrator(event.nif)
            name = (integrator.commercial_name or integrator.name) if integrator else event.nif
            yield (event.email,), f"Autorización para actuar en nombre de {name}", (
                f"{name} (NIF {event.nif}) le ha autorizado a usar el portal de integradores en su nombre."
                " Al iniciar sesión podrá elegir actuar en su nombre o en el de esta entidad.\n\n"
                f"{name} authorized you to use the integrators portal on its behalf." + _FOOTER)

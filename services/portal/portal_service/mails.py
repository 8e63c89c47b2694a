"""The emails that follow integrator events: who gets them, in the recipient's language (Mi cuenta), what they say."""
from __future__ import annotations

from typing import Iterator

from ventanilla.domain import integrator_events as ev

Mail = tuple[tuple[str, ...], str, str]
FOOTER = {
    "es": "\n\n--\nVentanilla · Portal de integradores. Este mensaje se envía automáticamente; no lo responda.",
    "en": "\n\n--\nVentanilla · Integrators portal. This message is sent automatically; please do not reply.",
}
TEXTS = {  # (subject, body) per language; str.format fields come from the event and the state
    "signed_up": {
        "es": ("Alta como integrador confirmada",
               "{name} (NIF {nif}) está dado de alta como integrador. Ya puede registrar certificados y crear"
               " plataformas."),
        "en": ("Integrator sign-up confirmed",
               "{name} (NIF {nif}) is now an integrator: you can register certificates and create platforms."),
    },
    "expiring": {
        "es": ("Su certificado «{alias}» caduca en {days} días",
               "El certificado «{alias}» (n.º de serie {serial}) caduca el {when}. Registre uno nuevo y añádalo a"
               " sus plataformas antes de esa fecha."),
        "en": ("Your certificate \"{alias}\" expires in {days} days",
               "The certificate \"{alias}\" (serial number {serial}) expires on {when}. Register a new one and add"
               " it to your platforms before that date."),
    },
    "approved": {
        "es": ("Plataforma «{platform}» aprobada",
               "La plataforma «{platform}» ha sido aprobada como servicio de recepción (RCF)."),
        "en": ("Platform \"{platform}\" approved", "Platform \"{platform}\" was approved as a receiving (RCF) service."),
    },
    "refused": {
        "es": ("Plataforma «{platform}» rechazada", "La plataforma «{platform}» no ha sido aprobada. Motivo: {reason}"),
        "en": ("Platform \"{platform}\" refused", "Platform \"{platform}\" was refused. Reason: {reason}"),
    },
    "authorized": {
        "es": ("Autorización para actuar en nombre de {name}",
               "{name} (NIF {nif}) le ha autorizado a usar el portal de integradores en su nombre. Al iniciar"
               " sesión podrá elegir actuar en su nombre o en el de esta entidad."),
        "en": ("Authorization to act on behalf of {name}",
               "{name} (NIF {nif}) authorized you to use the integrators portal on its behalf. When you log in"
               " you can choose to act in your own name or for this entity."),
    },
}


def language_of(read_model, nif: str) -> str:
    """The language a NIF chose in Mi cuenta (Spanish unless English was chosen)."""
    state = read_model.integrator(nif)
    return "en" if state is not None and state.person.language == "en" else "es"


def compose(kind: str, language: str, **values) -> tuple[str, str]:
    """Subject and body of one mail in one language."""
    subject, body = TEXTS[kind][language]
    return subject.format(**values), body.format(**values) + FOOTER[language]


def _to_integrator(read_model, nif: str, kind: str, **values) -> Iterator[Mail]:
    state = read_model.integrator(nif)
    if state is not None and state.notification_addresses:
        yield (state.notification_addresses, *compose(kind, language_of(read_model, nif), **values))


def _platform_name(read_model, event) -> str:
    state = read_model.integrator(event.nif)
    platform = state.platforms.get(event.platform_id) if state else None
    return platform.name if platform else event.platform_id


def _expiring(read_model, event) -> Iterator[Mail]:
    state = read_model.integrator(event.nif)
    cert = state.certificates.get(event.fingerprint) if state else None
    if cert is not None:
        yield from _to_integrator(read_model, event.nif, "expiring", alias=cert.alias, days=event.days,
                                  serial=cert.serial_number, when=cert.not_after.strftime("%d/%m/%Y"))


def _authorized(read_model, event) -> Iterator[Mail]:
    integrator = read_model.integrator(event.nif)
    name = (integrator.commercial_name or integrator.name) if integrator else event.nif
    if event.email:
        yield ((event.email,), *compose("authorized", language_of(read_model, event.user_nif), name=name,
                                        nif=event.nif))


MAILS = {  # event type -> the mails it calls for
    ev.SignedUp: lambda rm, e: iter([((e.email,), *compose("signed_up", language_of(rm, e.nif), name=e.name,
                                                           nif=e.nif))]),
    ev.CertificateExpiryNoticed: _expiring,
    ev.PlatformApproved: lambda rm, e: _to_integrator(rm, e.nif, "approved", platform=_platform_name(rm, e)),
    ev.PlatformRefused: lambda rm, e: _to_integrator(rm, e.nif, "refused", platform=_platform_name(rm, e),
                                                     reason=e.reason),
    ev.UserAuthorized: _authorized,
}


def mails_for(events, read_model) -> Iterator[Mail]:
    """Every mail the events call for."""
    for event in events:
        mails = MAILS.get(type(event))
        if mails is not None:
            yield from mails(read_model, event)

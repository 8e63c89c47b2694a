"""The last actions on the home page: one readable line per integrator event."""
from __future__ import annotations

from ventanilla.domain import integrator_events as ev
from portal_service.catalogue import gettext as _

_TEXTS = {
    ev.SignedUp: lambda e: _("Alta como integrador"),
    ev.ProfileChanged: lambda e: _("Perfil de integrador modificado"),
    ev.NotificationsChanged: lambda e: _("Notificaciones modificadas"),
    ev.PersonalDataChanged: lambda e: _("Datos personales modificados"),
    ev.CertificateRegistered: lambda e: _("Certificado «%(alias)s» registrado", alias=e.alias),
    ev.CertificateRemoved: lambda e: _("Certificado eliminado"),
    ev.CertificateExpiryNoticed: lambda e: _("Aviso de caducidad de certificado (%(days)s días)", days=e.days),
    ev.PlatformCreated: lambda e: _("Plataforma «%(name)s» creada", name=e.name),
    ev.PlatformRenamed: lambda e: _("Plataforma renombrada a «%(name)s»", name=e.name),
    ev.PlatformCertificateAdded: lambda e: _("Certificado agregado a una plataforma"),
    ev.PlatformCertificateRemoved: lambda e: _("Certificado quitado de una plataforma"),
    ev.PlatformDeleted: lambda e: _("Plataforma eliminada"),
    ev.PlatformApproved: lambda e: _("Plataforma aprobada"),
    ev.PlatformRefused: lambda e: _("Plataforma rechazada"),
    ev.Dir3UnitAttached: lambda e: _("Unidad DIR3 %(code)s adherida", code=e.code),
    ev.Dir3UnitDetached: lambda e: _("Unidad DIR3 %(code)s retirada", code=e.code),
    ev.UserAuthorized: lambda e: _("Autorizado %(nif)s", nif=e.user_nif),
    ev.AuthorizationRevoked: lambda e: _("Autorización de %(nif)s revocada", nif=e.user_nif),
}


def describe(event: ev.IntegratorEvent) -> str:
    """What happened, in a line."""
    text = _TEXTS.get(type(event))
    return text(event) if text else event.TYPE

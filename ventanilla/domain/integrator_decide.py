"""decide(state, command) -> events for the integrator aggregate; refusals name the field they belong to."""
from __future__ import annotations

import re
from datetime import datetime

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain import integrator_events as ev
from ventanilla.domain.integrator import CertificateState, Integrator, Platform, PlatformState
from ventanilla.domain.integrator_events import Role
from ventanilla.domain.nif import is_public_body, valid_or_none

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 120
LANGUAGES = ("es", "en")


class Refused(Exception):
    """A command the rules do not allow: `code` names the message, `field` the form field it belongs to."""

    def __init__(self, code: str, field: str = ""):
        super().__init__(code)
        self.code, self.field = code, field


def _head(command: cmd.Command, index: int = 0, nif: str | None = None) -> dict:
    return {"event_id": f"{command.command_id}:{index}", "nif": nif or command.nif,
            "occurred_at": command.at, "actor_nif": command.actor_nif}


def _text(value: str, field: str, required: bool = True, limit: int = MAX_NAME) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Refused("required", field)
    if len(value) > limit:
        raise Refused("too_long", field)
    return value


def _email(value: str, field: str, required: bool = True) -> str:
    value = (value or "").strip()
    if not value and not required:
        return ""
    if not _EMAIL.match(value) or len(value) > 254:
        raise Refused("email_invalid", field)
    return value


def _integrator(state: Integrator | None) -> Integrator:
    if state is None or not state.signed_up:
        raise Refused("not_integrator")
    return state


def _platform(state: Integrator | None, platform_id: str, rcf: bool = False) -> Platform:
    platform = _integrator(state).platforms.get(platform_id)
    if platform is None or platform.state is PlatformState.DELETED:
        raise Refused("not_found")
    if rcf and not platform.rcf:
        raise Refused("not_rcf")
    return platform


def _free_certificate(state: Integrator, fingerprint: str, now: datetime) -> None:
    cert = state.certificates.get(fingerprint)
    if cert is None or cert.removed:
        raise Refused("certificate_unknown", "fingerprint")
    if cert.platform_id:
        raise Refused("certificate_taken", "fingerprint")
    if cert.state(now) is CertificateState.EXPIRED:
        raise Refused("certificate_expired", "fingerprint")


def _sign_up(s: Integrator | None, c: cmd.SignUp):
    if s is not None and s.signed_up:
        raise Refused("already_integrator")
    if not c.accepted_terms:
        raise Refused("terms_not_accepted", "accepted_terms")
    return (ev.SignedUp(**_head(c), name=_text(c.name, "name"), email=_email(c.email, "email"),
                        third_party=c.third_party, signed_document=c.signed_document),)


def _profile(s, c: cmd.ChangeProfile):
    _integrator(s)
    return (ev.ProfileChanged(**_head(c), commercial_name=_text(c.commercial_name, "commercial_name"),
                              email=_email(c.email, "email"), third_party=c.third_party),)


def _notifications(s, c: cmd.ChangeNotifications):
    _integrator(s)
    primary = _email(c.primary_email, "primary_email")
    secondary = _email(c.secondary_email, "secondary_email", required=False)
    if secondary and secondary.lower() == primary.lower():
        raise Refused("same_address", "secondary_email")
    return (ev.NotificationsChanged(**_head(c), primary_email=primary, secondary_email=secondary,
                                    system_notices=c.system_notices),)


def _personal(s, c: cmd.ChangePersonalData):
    if c.language not in LANGUAGES:
        raise Refused("language_unknown", "language")
    phone = _text(c.phone, "phone", required=False, limit=20)
    if phone and not re.fullmatch(r"\+?[0-9 ]{6,20}", phone):
        raise Refused("phone_invalid", "phone")
    return (ev.PersonalDataChanged(**_head(c), name=_text(c.name, "name"), surname1=_text(c.surname1, "surname1"),
                                   surname2=_text(c.surname2, "surname2", required=False),
                                   email=_email(c.email, "email"), phone=phone, language=c.language),)


def _register(s, c: cmd.RegisterCertificate):
    s, f = _integrator(s), c.facts
    alias = _text(c.alias, "alias", limit=60)
    if f.is_ca:
        raise Refused("certificate_ca", "file")
    if c.at >= f.not_after:
        raise Refused("certificate_expired", "file")
    known = s.certificates.get(f.fingerprint)
    if c.held_elsewhere or (known is not None and not known.removed):
        raise Refused("certificate_registered", "file")
    if any(x.alias == alias and not x.removed for x in s.certificates.values()):
        raise Refused("alias_taken", "alias")
    return (ev.CertificateRegistered(**_head(c), fingerprint=f.fingerprint, alias=alias, der=f.der,
                                     subject=f.subject, issuer=f.issuer, serial_number=f.serial_number,
                                     holder_nif=f.holder_nif, not_before=f.not_before, not_after=f.not_after),)


def _remove_certificate(s, c: cmd.RemoveCertificate):
    cert = _integrator(s).certificates.get(c.fingerprint)
    if cert is None or cert.removed:
        raise Refused("not_found")
    if cert.platform_id:
        raise Refused("certificate_in_use")
    return (ev.CertificateRemoved(**_head(c), fingerprint=c.fingerprint),)


def _expiry(s, c: cmd.NoticeCertificateExpiry):
    cert = _integrator(s).certificates.get(c.fingerprint)
    if cert is None or cert.removed or c.days in cert.expiry_noticed:
        return ()
    return (ev.CertificateExpiryNoticed(**_head(c), fingerprint=c.fingerprint, days=c.days),)


def _create_platform(s, c: cmd.CreatePlatform):
    s = _integrator(s)
    name = _text(c.name, "name", limit=80)
    if not c.roles:
        raise Refused("roles_required", "roles")
    if Role.RECEIVING in c.roles and not is_public_body(s.nif):
        raise Refused("rcf_public_bodies_only", "roles")
    if any(p.name == name for p in s.live_platforms()):
        raise Refused("platform_name_taken", "name")
    _free_certificate(s, c.fingerprint, c.at)
    return (ev.PlatformCreated(**_head(c), platform_id=c.platform_id, name=name, roles=frozenset(c.roles),
                               fingerprint=c.fingerprint),)


def _rename(s, c: cmd.RenamePlatform):
    platform = _platform(s, c.platform_id)
    name = _text(c.name, "name", limit=80)
    if any(p.name == name and p.platform_id != platform.platform_id for p in s.live_platforms()):
        raise Refused("platform_name_taken", "name")
    return (ev.PlatformRenamed(**_head(c), platform_id=c.platform_id, name=name),)


def _add_certificate(s, c: cmd.AddPlatformCertificate):
    _platform(s, c.platform_id)
    _free_certificate(s, c.fingerprint, c.at)
    return (ev.PlatformCertificateAdded(**_head(c), platform_id=c.platform_id, fingerprint=c.fingerprint),)


def _remove_platform_certificate(s, c: cmd.RemovePlatformCertificate):
    platform = _platform(s, c.platform_id)
    if c.fingerprint not in platform.certificates:
        raise Refused("not_found")
    if len(platform.certificates) == 1:
        raise Refused("last_certificate", "fingerprint")
    return (ev.PlatformCertificateRemoved(**_head(c), platform_id=c.platform_id, fingerprint=c.fingerprint),)


def _delete(s, c: cmd.DeletePlatform):
    _platform(s, c.platform_id)
    return (ev.PlatformDeleted(**_head(c), platform_id=c.platform_id),)


def _approve(s, c: cmd.ApprovePlatform):
    if _platform(s, c.platform_id, rcf=True).state is not PlatformState.PENDING:
        raise Refused("not_pending")
    return (ev.PlatformApproved(**_head(c), platform_id=c.platform_id),)


def _refuse(s, c: cmd.RefusePlatform):
    if _platform(s, c.platform_id, rcf=True).state not in (PlatformState.PENDING, PlatformState.APPROVED):
        raise Refused("not_pending")
    return (ev.PlatformRefused(**_head(c), platform_id=c.platform_id, reason=_text(c.reason, "reason", limit=500)),)


def _attach(s, c: cmd.AttachDir3Unit):
    platform = _platform(s, c.platform_id, rcf=True)
    if platform.state is PlatformState.REFUSED:
        raise Refused("platform_refused")
    if any(code == c.code for code, _ in platform.dir3_units):
        raise Refused("unit_attached", "code")
    return (ev.Dir3UnitAttached(**_head(c), platform_id=c.platform_id, code=c.code, name=c.name),)


def _detach(s, c: cmd.DetachDir3Unit):
    if all(code != c.code for code, _ in _platform(s, c.platform_id, rcf=True).dir3_units):
        raise Refused("not_found")
    return (ev.Dir3UnitDetached(**_head(c), platform_id=c.platform_id, code=c.code),)


def _authorize(s, c: cmd.AuthorizeUser):
    s = _integrator(s)
    user_nif = valid_or_none(c.user_nif)
    if user_nif is None:
        raise Refused("nif_invalid", "nif")
    if user_nif == s.nif:
        raise Refused("authorize_self", "nif")
    if user_nif in s.authorized:
        raise Refused("already_authorized", "nif")
    return (ev.UserAuthorized(**_head(c), user_nif=user_nif, name=_text(c.name, "name"),
                              surname1=_text(c.surname1, "surname1", required=False),
                              surname2=_text(c.surname2, "surname2", required=False),
                              email=_email(c.email, "email")),)


def _revoke(s, c: cmd.RevokeAuthorization):
    if c.user_nif not in _integrator(s).authorized:
        raise Refused("not_found")
    return (ev.AuthorizationRevoked(**_head(c), user_nif=c.user_nif),)


def _publish(_s, c: cmd.PublishNotice):
    return (ev.NoticePublished(**_head(c, nif=ev.NOTICES_KEY), notice_id=c.notice_id,
                               title=_text(c.title, "title"), body=_text(c.body, "body", limit=4000)),)


DECIDERS = {
    cmd.SignUp: _sign_up, cmd.ChangeProfile: _profile, cmd.ChangeNotifications: _notifications,
    cmd.ChangePersonalData: _personal, cmd.RegisterCertificate: _register, cmd.RemoveCertificate: _remove_certificate,
    cmd.NoticeCertificateExpiry: _expiry, cmd.CreatePlatform: _create_platform, cmd.RenamePlatform: _rename,
    cmd.AddPlatformCertificate: _add_certificate, cmd.RemovePlatformCertificate: _remove_platform_certificate,
    cmd.DeletePlatform: _delete, cmd.ApprovePlatform: _approve, cmd.RefusePlatform: _refuse,
    cmd.AttachDir3Unit: _attach, cmd.DetachDir3Unit: _detach, cmd.AuthorizeUser: _authorize,
    cmd.RevokeAuthorization: _revoke, cmd.PublishNotice: _publish,
}


def decide(state: Integrator | None, command: cmd.Command) -> tuple[ev.IntegratorEvent, ...]:
    """The events a command produces against the state, or Refused."""
    return DECIDERS[type(command)](state, command)

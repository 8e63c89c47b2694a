"""The state and role marks of the certificate and platform tables, as template functions (a Jinja macro per row
costs a module import per page and a macro call per row)."""
from __future__ import annotations

from flask import Flask
from markupsafe import Markup


def N_(message: str) -> str:
    """Marks a message for extraction; translated when shown."""
    return message


CERTIFICATE_STATES = {"active": N_("Activo"), "expiring": N_("Caduca en menos de 30 días"),
                      "expired": N_("Caducado")}
REMOVED_CERTIFICATE = N_("Eliminado")
PLATFORM_STATES = {"active": N_("Activa"), "pending": N_("Pendiente de aprobación"), "approved": N_("Aprobada"),
                   "refused": N_("Rechazada")}
DELETED_PLATFORM = N_("Eliminada")
ROLES = {"recepcion": N_("Servicio de recepción/RCF")}
SENDING = N_("Servicio de envío")
MARK = Markup('<mark class="state {}">{}</mark>')


def install_marks(app: Flask) -> None:
    """`cert_state(state)`, `platform_state(value)` and `role_names(values)` for the templates, in the page's language."""
    def _(message: str) -> Markup:
        return app.jinja_env.globals["_"](message)

    def cert_state(state) -> Markup:
        return MARK.format(state.value, _(CERTIFICATE_STATES.get(state.value, REMOVED_CERTIFICATE)))

    def platform_state(state: str) -> Markup:
        return MARK.format(state, _(PLATFORM_STATES.get(state, DELETED_PLATFORM)))

    def role_names(values) -> Markup:
        return Markup(", ").join(_(ROLES.get(role.value, SENDING)) for role in sorted(values))

    app.jinja_env.globals.update(cert_state=cert_state, platform_state=platform_state, role_names=role_names)

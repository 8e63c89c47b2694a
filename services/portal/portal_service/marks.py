"""The certificate and platform tables' rows, state marks and role names, as template functions: plain strings with
every value escaped (a Jinja macro costs a module import per page and a macro call per row; each expression of a
template loop a context call or a lookup per row)."""
from __future__ import annotations

from flask import Flask
from markupsafe import Markup, escape


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


def _mark(state: str, label: Markup) -> str:
    return f'<mark class="state {escape(state)}">{label}</mark>'


def install_marks(app: Flask) -> None:
    """`cert_state(state)`, `platform_state(value)`, `role_names(values)` and `certificate_rows(...)` for the
    templates, in the page's language."""
    def translator():
        return app.extensions["portal.translator"]()

    def cert_state(state) -> Markup:
        return Markup(_mark(state.value, translator()(CERTIFICATE_STATES.get(state.value, REMOVED_CERTIFICATE))))

    def platform_state(state: str) -> Markup:
        return Markup(_mark(state, translator()(PLATFORM_STATES.get(state, DELETED_PLATFORM))))

    def role_names(values) -> Markup:
        _ = translator()
        return Markup(", ").join(_(ROLES.get(role.value, SENDING)) for role in sorted(values))

    def certificate_rows(certificates, platforms: dict, now) -> Markup:
        """The rows of the certificates list (certificates.html)."""
        _, link = translator(), app.jinja_env.globals["url_for"]
        remove, marks = _("Eliminar"), {}
        rows = []
        for c in certificates:
            alias, serial, state = escape(c.alias), c.serial_number, c.state(now).value
            if state not in marks:
                marks[state] = _mark(state, _(CERTIFICATE_STATES.get(state, REMOVED_CERTIFICATE)))
            held = (f'<a href="{escape(link("platforms.detail", platform_id=c.platform_id))}">'
                    f'{escape(platforms[c.platform_id])}</a>') if c.platform_id else "—"
            action = (f'<a href="{escape(link("certificates.remove", fingerprint=c.fingerprint))}">{remove}'
                      f'<span class="visually-hidden"> {alias}</span></a>') if not c.removed and not c.platform_id \
                else ""
            rows.append(f'<tr>\n    <td>{alias}</td><td>{escape(c.holder_nif or "—")}</td>'
                        f'<td class="mono nowrap" title="{escape(serial)}">{escape(serial[:10])}'
                        f'{"…" if len(serial) > 10 else ""}</td>\n    <td>{c.not_after.strftime("%d/%m/%Y")}</td>\n'
                        f'    <td>{held}</td>\n    <td>{marks[state]}</td>\n    <td>{action}</td>\n  </tr>')
        return Markup("\n  ".join(rows))

    app.jinja_env.globals.update(cert_state=cert_state, platform_state=platform_state, role_names=role_names,
                                 certificate_rows=certificate_rows)

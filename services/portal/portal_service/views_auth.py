"""Login (certificate, OpenID Connect), profile choice (7.1: own name or on behalf of), language, logout."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal_service.auth import Identity, LoginRefused
from portal_service.forms import ActionForm, ProfileChoiceForm
from portal_service.web import deps, logged_in
from portal_service.web import login as start_session

log = logging.getLogger("portal.login")
bp = Blueprint("auth", __name__)
LOGIN_REFUSALS = {
    "no_certificate": _l("Su navegador no ha presentado un certificado electrónico. Instálelo y vuelva a intentarlo."),
    "certificate_without_nif": _l("El certificado presentado no indica un NIF español."),
    "oidc_failed": _l("El proveedor de identidad no confirmó el inicio de sesión."),
    "oidc_without_nif": _l("El proveedor de identidad no indicó un NIF válido."),
}


@bp.get("/acceso")
def login():
    return render_template("login.html", methods=sorted(deps().authenticators), error=request.args.get("error"),
                           refusals={k: str(v) for k, v in LOGIN_REFUSALS.items()})


def _start(method: str):
    authenticator = deps().authenticators.get(method)
    if authenticator is None:
        abort(404)
    try:
        outcome = authenticator.begin()
    except LoginRefused as refused:
        log.info("login refused", extra={"method": method, "reason": str(refused)})
        deps().metering.login("refused")
        return redirect(url_for("auth.login", error=str(refused)))
    if isinstance(outcome, Identity):
        return _logged_in(outcome)
    return outcome


def _logged_in(identity: Identity):
    start_session(identity.nif, identity.name, identity.method)
    log.info("login", extra={"nif": identity.nif, "method": identity.method})
    deps().metering.login("ok")
    return redirect(url_for("auth.choose_profile"))


@bp.get("/acceso/certificado")
def certificate():
    return _start("certificate")


@bp.get("/acceso/clave")
def oidc():
    return _start("oidc")


@bp.get("/acceso/clave/retorno")
def oidc_return():
    authenticator = deps().authenticators.get("oidc")
    if authenticator is None:
        abort(404)
    try:
        return _logged_in(authenticator.complete())
    except LoginRefused as refused:
        return redirect(url_for("auth.login", error=str(refused)))


def _profiles() -> list[tuple[str, str]]:
    own = (session["nif"], _("En mi propio nombre (%(name)s)", name=session["name"]))
    return [own] + [(row.nif, _("En representación de %(name)s (%(nif)s)", name=row.name, nif=row.nif))
                    for row in deps().read_model.represented_by(session["nif"])]


@bp.route("/perfil", methods=["GET", "POST"])
@logged_in
def choose_profile():
    profiles = _profiles()
    if len(profiles) == 1 and request.method == "GET" and "chosen" not in session:
        session["chosen"] = True
        return redirect(url_for("home.home"))
    form = ProfileChoiceForm(profile=session.get("acting"))
    form.profile.choices = profiles
    if form.validate_on_submit():
        session["acting"], session["chosen"] = form.profile.data, True
        log.info("acting for", extra={"nif": session["nif"], "for": form.profile.data})
        flash(_("Perfil en uso: %(profile)s.", profile=dict(profiles)[form.profile.data]), "success")
        return redirect(url_for("home.home"))
    return render_template("profile_choice.html", form=form)


@bp.post("/idioma")
def language():
    form = ActionForm()
    if form.validate_on_submit() and request.form.get("lang") in ("es", "en"):
        session["lang"] = request.form["lang"]
    target = request.form.get("next") or "/"
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")


@bp.post("/salir")
def logout():
    if ActionForm().validate_on_submit():
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
    return redirect(url_for("auth.login"))

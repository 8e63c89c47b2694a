"""Authorized users (7): list, associate by NIF (a new person gets a form), revoke with confirmation."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.nif import valid_or_none
from portal_service.forms import ActionForm, AuthorizeNewForm, AuthorizeNifForm
from portal_service.messages import refusal_text
from portal_service.web import acting_state, deps, global_admin_only, run_form

bp = Blueprint("users", __name__)


@bp.get("/autorizados")
@global_admin_only
def index():
    state = acting_state()
    return render_template("users.html", state=state, users=sorted(state.authorized.values(),
                                                                    key=lambda u: u.full_name.lower()))


def _authorize(form, person) -> bool:
    return run_form(form, cmd.AuthorizeUser, user_nif=form.nif.data, name=person["name"],
                    surname1=person.get("surname1", ""), surname2=person.get("surname2", ""), email=person["email"])


@bp.route("/autorizados/nuevo", methods=["GET", "POST"])
@global_admin_only
def new():
    form = AuthorizeNifForm()
    if form.validate_on_submit():
        nif = valid_or_none(form.nif.data)
        if nif is None:
            form.nif.errors.append(refusal_text("nif_invalid"))
            return render_template("user_new.html", form=form)
        known = deps().read_model.person(nif)
        if known is None:
            return render_template("user_new_person.html", form=AuthorizeNewForm(formdata=None, nif=nif))
        if _authorize(form, {"name": known.name, "email": known.email}):
            flash(_("%(name)s ya puede actuar en nombre de esta entidad.", name=known.name), "success")
            return redirect(url_for("users.index"))
    return render_template("user_new.html", form=form)


@bp.post("/autorizados/nuevo/persona")
@global_admin_only
def new_person():
    form = AuthorizeNewForm()
    if _authorize(form, {"name": form.name.data, "surname1": form.surname1.data or "",
                         "surname2": form.surname2.data or "", "email": form.email.data}):
        flash(_("%(name)s ya puede actuar en nombre de esta entidad.", name=form.name.data), "success")
        return redirect(url_for("users.index"))
    return render_template("user_new_person.html", form=form)


@bp.route("/autorizados/<nif>/revocar", methods=["GET", "POST"])
@global_admin_only
def revoke(nif: str):
    user = acting_state().authorized.get(nif)
    if user is None:
        abort(404)
    form = ActionForm()
    if run_form(form, cmd.RevokeAuthorization, user_nif=nif):
        flash(_("Autorización de %(name)s revocada.", name=user.full_name), "success")
        return redirect(url_for("users.index"))
    return render_template("confirm.html", form=form, title=_("Revocar autorización"),
                           question=_("¿Quiere que %(name)s deje de actuar en nombre de esta entidad?",
                                      name=user.full_name),
                           confirm=_("Confirmar revocación"), cancel=url_for("users.index"))

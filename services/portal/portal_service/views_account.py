"""Mi cuenta (4.2): personal data and preferences, the integrator profile, notifications and notices."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _

from ventanilla.domain import integrator_commands as cmd
from portal_service.forms import NotificationsForm, PersonalForm, ProfileForm
from portal_service.handlers import Actor
from portal_service.web import acting_state, deps, integrator_only, logged_in, run_form

bp = Blueprint("account", __name__)


@bp.route("/cuenta", methods=["GET", "POST"])
@logged_in
def personal():
    own = deps().read_model.integrator(session["nif"])
    person = own.person if own else None
    form = (PersonalForm(obj=person) if person and person.name  # else what sign-up already told us
            else PersonalForm(name=session["name"], email=own.email if own else ""))
    if run_form(form, cmd.ChangePersonalData, Actor(session["nif"], session["nif"]), name=form.name.data,
                surname1=form.surname1.data, surname2=form.surname2.data or "", email=form.email.data,
                phone=form.phone.data or "", language=form.language.data):
        session["lang"] = form.language.data
        flash(_("Cambios guardados."), "success")
        return redirect(url_for("account.personal"))
    return render_template("account_personal.html", form=form, tab="personal")


@bp.route("/cuenta/perfil", methods=["GET", "POST"])
@integrator_only
def profile():
    form = ProfileForm(obj=acting_state())
    if run_form(form, cmd.ChangeProfile, commercial_name=form.commercial_name.data, email=form.email.data,
                third_party=bool(form.third_party.data)):
        flash(_("Cambios guardados."), "success")
        return redirect(url_for("account.profile"))
    return render_template("account_profile.html", form=form, tab="profile", state=acting_state())


@bp.route("/cuenta/notificaciones", methods=["GET", "POST"])
@integrator_only
def notifications():
    form = NotificationsForm(obj=acting_state())
    if run_form(form, cmd.ChangeNotifications, primary_email=form.primary_email.data,
                secondary_email=form.secondary_email.data or "", system_notices=bool(form.system_notices.data)):
        flash(_("Cambios guardados."), "success")
        return redirect(url_for("account.notifications"))
    return render_template("account_notifications.html", form=form, tab="notifications")

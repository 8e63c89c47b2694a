"""Platforms (6): two-step creation, list, detail, rename, certificates, deletion with confirmation."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator import Platform, PlatformState
from ventanilla.domain.integrator_decide import Refused, decide
from ventanilla.domain.integrator_events import Role
from portal_service.forms import ActionForm, AddCertificateForm, PlatformStep1Form, PlatformStep2Form, RenameForm
from portal_service.messages import refusal_text
from portal_service.web import acting_state, actor, deps, integrator_only, refuse, run_form

bp = Blueprint("platforms", __name__)


def _platform(platform_id: str) -> Platform:
    platform = acting_state().platforms.get(platform_id)
    if platform is None or platform.state is PlatformState.DELETED:
        abort(404)
    return platform


def _roles(values) -> frozenset[Role]:
    return frozenset(Role(v) for v in values if v in {r.value for r in Role})


@bp.get("/plataformas")
@integrator_only
def index():
    state = acting_state()
    return render_template("platforms.html", platforms=state.live_platforms(), certificates=state.certificates)


def _certificate_choices():
    return [(c.fingerprint, f"{c.alias} · {c.not_after:%d/%m/%Y}")
            for c in acting_state().free_certificates(deps().portal.clock.now())]


@bp.route("/plataformas/nueva", methods=["GET", "POST"])
@integrator_only
def new():
    form = PlatformStep1Form()
    valid = form.validate_on_submit()
    if form.is_submitted() and not valid and not form.roles.data:  # every mistake at once, next to its field
        form.roles.errors = [*form.roles.errors, refusal_text("roles_required")]
    if valid:
        roles = _roles(form.roles.data or ())
        probe = cmd.CreatePlatform("check", actor().for_nif, actor().nif, deps().portal.clock.now(), platform_id="-",
                                   name=form.name.data, roles=roles, fingerprint="")
        try:
            decide(acting_state(), probe)
        except Refused as refused:
            if refused.field != "fingerprint":
                refuse(form, refused)
                return render_template("platform_new.html", form=form)
        step2 = PlatformStep2Form(formdata=None, name=form.name.data.strip(),  # not step 1's posted roles
                                  roles=",".join(sorted(r.value for r in roles)))
        step2.fingerprint.choices = _certificate_choices()
        return render_template("platform_new_certificate.html", form=step2, roles=roles)
    return render_template("platform_new.html", form=form)


@bp.post("/plataformas/nueva/certificado")
@integrator_only
def new_certificate():
    form = PlatformStep2Form()
    form.fingerprint.choices = _certificate_choices()
    roles = _roles((form.roles.data or "").split(","))
    if request.form.get("back"):
        return render_template("platform_new.html", form=PlatformStep1Form(
            formdata=None, name=form.name.data, roles=[r.value for r in roles]))
    platform_id = uuid.uuid4().hex[:12]
    if run_form(form, cmd.CreatePlatform, platform_id=platform_id, name=form.name.data, roles=roles,
                fingerprint=form.fingerprint.data or ""):
        pending = Role.RECEIVING in roles
        flash(_("Plataforma «%(name)s» creada.", name=form.name.data) + (" " + _(
            "Queda pendiente de aprobación por la administración.") if pending else ""), "success")
        return redirect(url_for("platforms.detail", platform_id=platform_id))
    if not form.fingerprint.errors and not form.form_errors:
        form.fingerprint.errors = [_("Elija un certificado.")]
    return render_template("platform_new_certificate.html", form=form, roles=roles)


@bp.get("/plataformas/<platform_id>")
@integrator_only
def detail(platform_id: str):
    return render_template("platform_detail.html", platform=_platform(platform_id),
                           certificates=acting_state().certificates, now=deps().portal.clock.now())


@bp.route("/plataformas/<platform_id>/editar", methods=["GET", "POST"])
@integrator_only
def rename(platform_id: str):
    platform = _platform(platform_id)
    form = RenameForm(obj=platform)
    if run_form(form, cmd.RenamePlatform, platform_id=platform_id, name=form.name.data):
        flash(_("Cambios guardados."), "success")
        return redirect(url_for("platforms.detail", platform_id=platform_id))
    return render_template("platform_rename.html", form=form, platform=platform)


@bp.route("/plataformas/<platform_id>/certificados", methods=["GET", "POST"])
@integrator_only
def certificates(platform_id: str):
    platform = _platform(platform_id)
    form = AddCertificateForm()
    form.fingerprint.choices = _certificate_choices()
    if form.fingerprint.choices and run_form(form, cmd.AddPlatformCertificate, platform_id=platform_id,
                                             fingerprint=form.fingerprint.data or ""):
        flash(_("Certificado agregado."), "success")
        return redirect(url_for("platforms.certificates", platform_id=platform_id))
    return render_template("platform_certificates.html", form=form, platform=platform, remove=ActionForm(),
                           certificates=acting_state().certificates, now=deps().portal.clock.now())


@bp.post("/plataformas/<platform_id>/certificados/<fingerprint>/quitar")
@integrator_only
def remove_certificate(platform_id: str, fingerprint: str):
    platform = _platform(platform_id)
    if fingerprint not in platform.certificates:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            deps().portal.run(actor(), cmd.RemovePlatformCertificate, platform_id=platform_id, fingerprint=fingerprint)
            flash(_("Certificado quitado de la plataforma."), "success")
        except Refused as refused:
            flash(refusal_text(refused.code), "error")
    return redirect(url_for("platforms.certificates", platform_id=platform_id))


@bp.route("/plataformas/<platform_id>/eliminar", methods=["GET", "POST"])
@integrator_only
def delete(platform_id: str):
    platform = _platform(platform_id)
    form = ActionForm()
    if run_form(form, cmd.DeletePlatform, platform_id=platform_id):
        flash(_("Plataforma «%(name)s» eliminada.", name=platform.name), "success")
        return redirect(url_for("platforms.index"))
    return render_template("confirm.html", form=form, title=_("Eliminar plataforma"),
                           question=_("¿Estás seguro de que quieres eliminar esta plataforma?"),
                           detail=platform.name, confirm=_("Confirmar eliminación de plataforma"),
                           cancel=url_for("platforms.detail", platform_id=platform_id),
                           cancel_label=_("Cancelar eliminación de plataforma"))

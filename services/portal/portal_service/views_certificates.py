"""Certificates (5): list with states, two-step upload (file, then summary), removal with confirmation."""
from __future__ import annotations

import base64
import binascii

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_decide import Refused, decide
from portal_service.certificates import MAX_BYTES, read_certificate
from portal_service.messages import refusal_text
from portal_service.forms import ActionForm, CertificateConfirmForm, CertificateUploadForm
from portal_service.web import acting_state, actor, deps, integrator_only, refuse, run_form

bp = Blueprint("certificates", __name__)


@bp.get("/certificados")
@integrator_only
def index():
    state = acting_state()
    platforms = {p.platform_id: p.name for p in state.platforms.values()}
    certificates = sorted(state.certificates.values(), key=lambda c: (c.removed, c.alias.lower()))
    return render_template("certificates.html", certificates=certificates, platforms=platforms,
                           now=deps().portal.clock.now())


def _check_new(alias: str, data: bytes) -> cmd.CertificateFacts:
    """Everything saving would check, without saving (step 1 refuses what step 2 would)."""
    facts = read_certificate(data)
    state, now = acting_state(), deps().portal.clock.now()
    holder = deps().read_model.certificate_holder(facts.fingerprint)
    command = cmd.RegisterCertificate("check", state.nif, actor().nif, now, alias=alias, facts=facts,
                                      held_elsewhere=holder not in (None, state.nif))
    decide(state, command)
    return facts


@bp.route("/certificados/nuevo", methods=["GET", "POST"])
@integrator_only
def new():
    form = CertificateUploadForm()
    valid = form.validate_on_submit()
    if form.is_submitted() and not valid and not form.file.data:  # every mistake at once, next to its field
        form.file.errors = [*form.file.errors, refusal_text("file_required")]
    if valid:
        data = form.file.data.read(MAX_BYTES + 1) if form.file.data else b""
        try:
            facts = _check_new(form.alias.data, data)
        except Refused as refused:
            refuse(form, refused)
        else:
            confirm = CertificateConfirmForm(alias=form.alias.data.strip(),
                                             certificate=base64.b64encode(facts.der).decode())
            return render_template("certificate_summary.html", form=confirm, facts=facts,
                                   now=deps().portal.clock.now())
    return render_template("certificate_new.html", form=form)


@bp.post("/certificados/nuevo/guardar")
@integrator_only
def save():
    form = CertificateConfirmForm()
    try:
        der = base64.b64decode(form.certificate.data or "", validate=True)
        facts = read_certificate(der)
    except (binascii.Error, ValueError, Refused):
        return redirect(url_for("certificates.new"))
    if run_form(form, cmd.RegisterCertificate, alias=form.alias.data, facts=facts, held_elsewhere=False):
        flash(_("Certificado «%(alias)s» registrado.", alias=form.alias.data), "success")
        return redirect(url_for("certificates.index"))
    upload = CertificateUploadForm(alias=form.alias.data)
    upload.file.errors, upload.alias.errors = list(form.form_errors), list(form.alias.errors)
    return render_template("certificate_new.html", form=upload)


@bp.route("/certificados/<fingerprint>/eliminar", methods=["GET", "POST"])
@integrator_only
def remove(fingerprint: str):
    cert = acting_state().certificates.get(fingerprint)
    if cert is None or cert.removed:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            deps().portal.run(actor(), cmd.RemoveCertificate, fingerprint=fingerprint)
        except Refused as refused:
            refuse(form, refused)
        else:
            flash(_("Certificado «%(alias)s» eliminado.", alias=cert.alias), "success")
            return redirect(url_for("certificates.index"))
    return render_template("confirm.html", form=form, title=_("Eliminar certificado"),
                           question=_("¿Está seguro de que quiere eliminar el certificado «%(alias)s»?", alias=cert.alias),
                           confirm=_("Confirmar eliminación del certificado"), cancel=url_for("certificates.index"))

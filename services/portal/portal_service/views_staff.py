"""The staff area: RCF platforms to approve or refuse, DIR3 units, system notices, any integrator read-only."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator import PlatformState
from portal_service.forms import ActionForm, AttachUnitForm, NoticeForm, RefuseForm
from portal_service.handlers import Actor
from portal_service.messages import refusal_text
from portal_service.web import deps, run_form, staff_only

bp = Blueprint("staff", __name__, url_prefix="/administracion")


def _as_staff(nif: str) -> Actor:
    return Actor(session["nif"], nif)


def _platform(nif: str, platform_id: str):
    state = deps().read_model.integrator(nif)
    platform = state.platforms.get(platform_id) if state and state.signed_up else None
    if platform is None or platform.state is PlatformState.DELETED:
        abort(404)
    return state, platform


@bp.get("/")
@staff_only
def index():
    rows = deps().read_model.platforms_in((PlatformState.PENDING, PlatformState.APPROVED, PlatformState.REFUSED))
    return render_template("staff_index.html", pending=[r for r in rows if r.state == "pending"],
                           decided=[r for r in rows if r.state != "pending"])


@bp.route("/plataformas/<nif>/<platform_id>", methods=["GET", "POST"])
@staff_only
def platform(nif: str, platform_id: str):
    state, found = _platform(nif, platform_id)
    if not found.rcf:
        abort(404)
    query = request.args.get("q", "").strip()
    units = deps().dir3.search(query, limit=20) if query else []
    return render_template("staff_platform.html", state=state, platform=found, units=units, query=query,
                           approve=ActionForm(), refuse=RefuseForm(), attach=AttachUnitForm(), detach=ActionForm())


def _back(nif: str, platform_id: str):
    return redirect(url_for("staff.platform", nif=nif, platform_id=platform_id))


@bp.post("/plataformas/<nif>/<platform_id>/aprobar")
@staff_only
def approve(nif: str, platform_id: str):
    _platform(nif, platform_id)
    form = ActionForm()
    if run_form(form, cmd.ApprovePlatform, _as_staff(nif), platform_id=platform_id):
        flash(_("Plataforma aprobada; se ha avisado al integrador."), "success")
    else:
        flash(" ".join(form.form_errors) or _("No se ha podido hacer."), "error")
    return _back(nif, platform_id)


@bp.post("/plataformas/<nif>/<platform_id>/rechazar")
@staff_only
def refuse_platform(nif: str, platform_id: str):
    state, found = _platform(nif, platform_id)
    form = RefuseForm()
    if run_form(form, cmd.RefusePlatform, _as_staff(nif), platform_id=platform_id, reason=form.reason.data):
        flash(_("Plataforma rechazada; se ha avisado al integrador."), "success")
        return _back(nif, platform_id)
    return render_template("staff_platform.html", state=state, platform=found, units=[], query="",
                           approve=ActionForm(), refuse=form, attach=AttachUnitForm(), detach=ActionForm())


@bp.post("/plataformas/<nif>/<platform_id>/unidades")
@staff_only
def attach(nif: str, platform_id: str):
    state, found = _platform(nif, platform_id)
    form = AttachUnitForm()
    unit = deps().dir3.get(form.code.data or "")
    if form.validate_on_submit() and unit is None:
        form.code.errors.append(refusal_text("unit_unknown"))
    elif unit is not None and run_form(form, cmd.AttachDir3Unit, _as_staff(nif), platform_id=platform_id,
                                       code=unit.code, name=unit.name):
        flash(_("Unidad %(code)s adherida.", code=unit.code), "success")
        return _back(nif, platform_id)
    return render_template("staff_platform.html", state=state, platform=found, units=[], query="",
                           approve=ActionForm(), refuse=RefuseForm(), attach=form, detach=ActionForm())


@bp.post("/plataformas/<nif>/<platform_id>/unidades/<code>/retirar")
@staff_only
def detach(nif: str, platform_id: str, code: str):
    _platform(nif, platform_id)
    if run_form(ActionForm(), cmd.DetachDir3Unit, _as_staff(nif), platform_id=platform_id, code=code):
        flash(_("Unidad %(code)s retirada.", code=code), "success")
    return _back(nif, platform_id)


@bp.route("/avisos", methods=["GET", "POST"])
@staff_only
def notices():
    form = NoticeForm()
    if run_form(form, cmd.PublishNotice, _as_staff("notices"), notice_id=uuid.uuid4().hex, title=form.title.data,
                body=form.body.data):
        flash(_("Aviso publicado."), "success")
        return redirect(url_for("staff.notices"))
    return render_template("staff_notices.html", form=form, notices=deps().read_model.notices(limit=20))


@bp.get("/integradores")
@staff_only
def integrators():
    query = request.args.get("q", "")
    return render_template("staff_integrators.html", rows=deps().read_model.integrators(query, limit=50), query=query)


@bp.get("/integradores/<nif>")
@staff_only
def integrator(nif: str):
    state = deps().read_model.integrator(nif)
    if state is None or not state.signed_up:
        abort(404)
    return render_template("staff_integrator.html", state=state, now=deps().portal.clock.now())

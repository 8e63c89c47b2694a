"""Beyond the manual: the public receipt verifier (no login, rate-limited) and the invoice validator."""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request, url_for

from portal_service.forms import REQUIRED, InvoiceForm
from portal_service.registry import RegistryUnavailable, check_seal
from portal_service.validator import validate
from portal_service.web import actor, deps, integrator_only

bp = Blueprint("tools", __name__)
CSV_SHAPE = re.compile(r"[A-Z2-7]{24}", re.ASCII)
MAX_INVOICE = 8 * 1024 * 1024


def _receipt(csv: str) -> bytes | None:
    """The receipt of a well-formed CSV, None for anything unknown (malformed and unknown look the same)."""
    return deps().registry.receipt(csv) if CSV_SHAPE.fullmatch(csv) else None


@bp.get("/verificar")
def verify():
    csv = re.sub(r"[\s-]", "", request.args.get("csv", "")).upper()
    if not csv:
        return render_template("verify.html", csv="", outcome=None)
    try:
        pdf = _receipt(csv)
    except RegistryUnavailable:
        return render_template("verify.html", csv=csv, outcome="unavailable"), 503
    if pdf is None:
        return render_template("verify.html", csv=csv, outcome="unknown"), 404
    seal = check_seal(pdf, deps().seal_roots)
    return render_template("verify.html", csv=csv, outcome="found", seal=seal,
                           pdf_url=url_for("tools.receipt_pdf", csv=csv))


@bp.get("/verificar/<csv>/comprobante.pdf")
def receipt_pdf(csv: str):
    try:
        pdf = _receipt(csv.upper())
    except RegistryUnavailable:
        abort(503)
    if pdf is None:
        abort(404)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="comprobante-{csv.upper()}.pdf"', "Cache-Control": "no-store"})


@bp.route("/validador", methods=["GET", "POST"])
@integrator_only
def validator():
    form, report = InvoiceForm(), None
    if form.validate_on_submit():
        data = form.facturae.data.read(MAX_INVOICE + 1) if form.facturae.data else b""
        if not data:
            form.facturae.errors = [str(REQUIRED)]
        else:
            report = validate(deps().intake, deps().registry, actor().for_nif, data, deps().portal.clock.now())
    return render_template("validator.html", form=form, report=report)

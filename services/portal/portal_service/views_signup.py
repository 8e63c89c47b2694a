"""Sign-up (4.1): the acceptance document is downloaded, signed with XAdES, uploaded and verified."""
from __future__ import annotations

import uuid
from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_decide import Refused
from portal_service import acceptance
from portal_service.forms import SignedDocumentForm, SignUpForm
from portal_service.messages import refusal_text
from portal_service.web import acting_state, actor, deps, logged_in

bp = Blueprint("signup", __name__)
MAX_DOCUMENT = 256 * 1024


def _own_and_new():
    state = acting_state()
    if state is not None and state.signed_up:
        return redirect(url_for("home.home"))
    if actor().nif != actor().for_nif:
        abort(403)
    return None


def _pending() -> acceptance.Acceptance | None:
    data = session.get("signup")
    if not data:
        return None
    return acceptance.Acceptance(data["id"], session["name"], session["nif"], data["email"], True,
                                 data["third_party"], datetime.fromisoformat(data["date"]))


@bp.route("/alta", methods=["GET", "POST"])
@logged_in
def start():
    if (elsewhere := _own_and_new()) is not None:
        return elsewhere
    form = SignUpForm()
    valid = form.validate_on_submit()
    if form.is_submitted() and not form.accepted_terms.data:  # every mistake at once, next to its field
        form.accepted_terms.errors = [*form.accepted_terms.errors, refusal_text("terms_not_accepted")]
    elif valid:
        session["signup"] = {"id": uuid.uuid4().hex, "email": form.email.data.strip(),
                             "third_party": bool(form.third_party.data),
                             "date": deps().portal.clock.now().isoformat(timespec="seconds")}
        return redirect(url_for("signup.sign"))
    return render_template("signup.html", form=form)


@bp.get("/alta/documento.xml")
@logged_in
def document():
    pending = _pending()
    if pending is None:
        return redirect(url_for("signup.start"))
    return Response(acceptance.build(pending), mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="alta-integrador-{pending.nif}.xml"'})


@bp.route("/alta/firma", methods=["GET", "POST"])
@logged_in
def sign():
    if (elsewhere := _own_and_new()) is not None:
        return elsewhere
    pending = _pending()
    if pending is None:
        return redirect(url_for("signup.start"))
    form = SignedDocumentForm()
    if form.validate_on_submit():
        try:
            _sign_up(pending, form.document.data.read(MAX_DOCUMENT + 1) if form.document.data else b"")
        except Refused as refused:
            form.document.errors.append(refusal_text(refused.code))
        else:
            session.pop("signup", None)
            flash(_("Se ha dado de alta como integrador. Le hemos enviado un correo de confirmación."), "success")
            return redirect(url_for("home.home"))
    return render_template("signup_sign.html", form=form, pending=pending)


def _sign_up(pending: acceptance.Acceptance, signed: bytes) -> None:
    if not signed:
        raise Refused("document_required", "document")
    if len(signed) > MAX_DOCUMENT:
        raise Refused("document_other", "document")
    declared = acceptance.read(signed)
    if (declared.document_id, declared.nif, declared.email, declared.third_party) != (
            pending.document_id, pending.nif, pending.email, pending.third_party) or not declared.accepted_terms:
        raise Refused("document_other", "document")
    signer = deps().verifier.verify(signed, deps().portal.clock.now())
    if signer != pending.nif:
        raise Refused("signer_other", "document")
    deps().portal.run(actor(), cmd.SignUp, name=pending.name, email=pending.email, third_party=pending.third_party,
                      accepted_terms=True, signed_document=signed)

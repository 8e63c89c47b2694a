"""Home (3.3), FAQ and support, the accessibility statement."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, session, url_for

from portal_service.history import describe
from portal_service.web import actor, deps, logged_in

bp = Blueprint("home", __name__)


@bp.get("/")
def root():
    return redirect(url_for("home.home") if "nif" in session else url_for("auth.login"))


@bp.get("/inicio")
@logged_in
def home():
    who = actor()
    facts = deps().read_model.home(who.for_nif, who.nif, limit=8, notices=5)  # one statement
    state = facts.state
    profiles = [(session["nif"], session["name"])] + [(r.nif, r.name) for r in facts.represented]
    actions = [(e.occurred_at.strftime("%d/%m/%Y %H:%M"), describe(e), e.actor_nif) for e in facts.history]
    counts = (len(state.live_platforms()), sum(not c.removed for c in state.certificates.values())) if state else None
    return render_template("home.html", state=state, profiles=profiles, actions=actions, counts=counts,
                           notices=facts.notices, now=deps().portal.clock.now())


@bp.get("/faq")
def faq():
    return render_template("faq.html")


@bp.get("/soporte")
def support():
    return render_template("support.html")


@bp.get("/accesibilidad")
def accessibility():
    return render_template("accessibility.html")

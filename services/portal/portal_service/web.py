"""Session identity, the acting profile, and the guards every route uses."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import abort, current_app, g, redirect, request, session, url_for

from ventanilla.domain.integrator import Integrator
from ventanilla.domain.integrator_decide import Refused
from portal_service.handlers import Actor, Portal
from portal_service.messages import refusal_text
from portal_service.metering import Metering


@dataclass
class Deps:
    """What the pages need, wired by the composition root."""

    portal: Portal
    dir3: Any
    verifier: Any
    intake: Any
    registry: Any
    seal_roots: tuple
    authenticators: dict
    staff_nifs: frozenset[str]
    extra: dict = field(default_factory=dict)
    metering: Metering = field(default_factory=Metering)

    @property
    def read_model(self):
        """The portal's projection."""
        return self.portal.read_model


def deps() -> Deps:
    """This app's dependencies."""
    return current_app.extensions["portal"]


def login(nif: str, name: str, method: str) -> None:
    """Start a fresh session for an identity (a new session id: no fixation)."""
    session.clear()
    session.update(nif=nif, name=name, method=method, acting=nif)
    session.permanent = True


def is_staff() -> bool:
    """Whether the logged-in person is staff (by configuration, checked on every request)."""
    return session.get("nif") in deps().staff_nifs


def actor() -> Actor:
    """The logged-in person and the NIF they act for."""
    return Actor(session["nif"], session.get("acting") or session["nif"])


def acting_state() -> Integrator | None:
    """The state of the NIF being acted for (read once per request)."""
    if "acting_state" not in g:
        g.acting_state = deps().read_model.integrator(actor().for_nif)
    return g.acting_state


def logged_in(view):
    """Only with a session; else to the login page."""
    @wraps(view)
    def guarded(*args, **kwargs):
        if "nif" not in session:
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)
    return guarded


def integrator_only(view):
    """Only when acting for a signed-up integrator; else to the sign-up page."""
    @logged_in
    @wraps(view)
    def guarded(*args, **kwargs):
        state = acting_state()
        if state is None or not state.signed_up:
            return redirect(url_for("signup.start"))
        return view(*args, **kwargs)
    return guarded


def global_admin_only(view):
    """Only the integrator itself (its global administrator), not a user acting for it."""
    @integrator_only
    @wraps(view)
    def guarded(*args, **kwargs):
        if actor().nif != actor().for_nif:
            abort(403)
        return view(*args, **kwargs)
    return guarded


def staff_only(view):
    """Only staff of the entry point."""
    @logged_in
    @wraps(view)
    def guarded(*args, **kwargs):
        if not is_staff():
            abort(403)
        return view(*args, **kwargs)
    return guarded


def refuse(form, refused: Refused) -> None:
    """Put a refusal next to its field (or above the form when it names none)."""
    field = getattr(form, refused.field, None) if refused.field else None
    errors = field.errors if field is not None else form.form_errors
    if isinstance(errors, tuple):
        errors = field.errors = list(errors)
    errors.append(refusal_text(refused.code))


def run_form(form, command_type, who=None, **values) -> bool:
    """Run a command with a valid form's values; False (errors on the form) when invalid or refused."""
    if not form.validate_on_submit():
        return False
    try:
        deps().portal.run(who or actor(), command_type, **values)
        return True
    except Refused as refused:
        refuse(form, refused)
        return False

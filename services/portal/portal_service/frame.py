"""The layout around every page (head links, header, menus, footer), rendered once per language, kind of identity
and section; each request fills in only its own values (CSRF token, path, the person's name, the NIF acted for)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, render_template, request, session
from markupsafe import Markup, escape

from portal_service.catalogue import language
from portal_service.web import acting_state, is_staff

SLOT = re.compile("\x00(\\w+)\x00")  # a per-request value's place in a rendered fragment (NUL never comes from text)


@dataclass(frozen=True)
class Frame:
    """A page's layout: what goes before its content and after it."""

    top: Markup
    bottom: Markup


def _slot(name: str) -> str:
    return f"\x00{name}\x00"


def _filled(parts: list[str], values: dict) -> Markup:
    """A rendered fragment with its slots filled in one pass (a value is never searched for slots again)."""
    filled = parts.copy()
    for at in range(1, len(parts), 2):
        filled[at] = values[parts[at]]()
    return Markup("".join(filled))


def install_page_frame(app: Flask) -> None:
    """`page_frame()` for base.html: the layout's fragments from a cache keyed by everything they show but the
    per-request values, which are escaped and put in their slots on every page."""
    rendered: dict[tuple, tuple[list[str], list[str]]] = {}
    values = {"csrf": lambda: escape(app.jinja_env.globals["csrf_token"]()),
              "next": lambda: escape(request.full_path),
              "name": lambda: escape(session.get("name", "")),
              "acting": lambda: escape(session.get("acting", ""))}

    def page_frame() -> Frame:
        logged_in = bool(session.get("nif"))
        acting = logged_in and bool(session.get("acting")) and session.get("acting") != session.get("nif")
        method = session.get("method")
        key = (language(), logged_in, logged_in and is_staff(), acting, _integrator(logged_in),
               (request.endpoint or "").split(".")[0], "oidc" if method == "oidc" else bool(method))
        fragments = rendered.get(key)
        if fragments is None:
            lang, _, staff, _, integrator, section, method_kind = key
            shown = {"lang": lang, "logged_in": logged_in, "is_staff": staff, "integrator": integrator,
                     "section": section, "method": method_kind, "acting": _slot("acting") if acting else None}
            fragments = rendered[key] = tuple(
                SLOT.split(render_template(name, csrf=_slot("csrf"), next=_slot("next"), name=_slot("name"), **shown))
                for name in ("frame_top.html", "frame_bottom.html"))
        return Frame(*(_filled(parts, values) for parts in fragments))

    app.jinja_env.globals["page_frame"] = page_frame


def _integrator(logged_in: bool) -> bool:
    """Whether the NIF acted for is a signed-up integrator: only then do the integrator's sections (platforms,
    certificates, authorized users, the validator) lead anywhere but to the sign-up."""
    if not logged_in:
        return False
    state = acting_state()
    return state is not None and state.signed_up

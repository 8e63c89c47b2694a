"""Flask's signed-cookie sessions and Flask-WTF's CSRF tokens, each signature checked or made once, not per page."""
from __future__ import annotations

import copy
import time

from flask import Flask, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature


class VerifiedCookies(SecureCookieSessionInterface):
    """Flask's own session cookies (same signing, same lifetime check); a cookie string already verified by this
    process is not verified and decoded again. At most `size` cookies are kept (then all are forgotten)."""

    def __init__(self, size: int = 4096):
        self._size = size
        self._verified: dict[str, tuple[dict, float]] = {}  # cookie -> (its data, when it was signed)
        self._serializer = None

    def get_signing_serializer(self, app: Flask):
        """Flask's serializer, built once (its keys do not change while the app runs)."""
        if self._serializer is None:
            self._serializer = super().get_signing_serializer(app)
        return self._serializer

    def open_session(self, app: Flask, request):
        """The session of the request's cookie: a fresh one when absent, forged or older than the lifetime."""
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie or not app.secret_key:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = self._verified.get(cookie)
        if known is None:
            try:
                data, signed_at = self.get_signing_serializer(app).loads(cookie, max_age=max_age,
                                                                         return_timestamp=True)
            except BadSignature:
                return self.session_class()
            if len(self._verified) >= self._size:
                self._verified.clear()
            known = self._verified[cookie] = (data, signed_at.timestamp())
        elif not 0 <= time.time() - known[1] <= max_age:  # itsdangerous's own test of the signature's age
            self._verified.pop(cookie, None)
            return self.session_class()
        data = known[0]
        return self.session_class({key: copy.deepcopy(value) if isinstance(value, (list, dict)) else value
                                   for key, value in data.items()})


def install_reused_csrf_tokens(app: Flask, size: int = 4096) -> None:
    """Templates' `csrf_token()`: Flask-WTF's signed token of the session's secret, signed once and given again for
    an eighth of its lifetime (a page's forms stay valid for at least 7/8 of `WTF_CSRF_TIME_LIMIT`); validation on
    POST stays Flask-WTF's. The forms of the same request get the same token (Flask-WTF reads it from `g`)."""
    signed: dict[str, tuple[str, float]] = {}  # the session's secret -> (its signed token, when it was signed)
    reuse_s = app.config["WTF_CSRF_TIME_LIMIT"] / 8

    def csrf_token() -> str:
        if "csrf_token" in g:
            return g.csrf_token
        secret = session.get("csrf_token")
        known = signed.get(secret) if isinstance(secret, str) else None
        if known is not None and time.time() - known[1] < reuse_s:
            g.csrf_token = known[0]
            return known[0]
        token = generate_csrf()
        if len(signed) >= size:
            signed.clear()
        signed[session["csrf_token"]] = (token, time.time())
        return token

    app.jinja_env.globals["csrf_token"] = csrf_token

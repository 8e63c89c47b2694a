"""The portal's Flask application: sessions, CSRF, Babel, rate limits, security headers, blueprints."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, render_template, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect

from portal_service import (views_account, views_auth, views_certificates, views_home, views_platforms,
                            views_signup, views_staff, views_tools, views_users)
from portal_service.catalogue import install_template_gettext, language
from portal_service.frame import install_page_frame
from portal_service.links import install_cached_url_for
from portal_service.marks import install_marks
from portal_service.sessions import VerifiedCookies, install_reused_csrf_tokens
from portal_service.throttle import PerClientLimit
from portal_service.web import Deps, is_staff

log = logging.getLogger("portal.app")
LANGUAGES = ("es", "en")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _language_selector(remembered: int = 256):
    """The session's language, else the best of the browser's (each Accept-Language header parsed once; at most
    `remembered` headers kept, then all forgotten), else Spanish."""
    by_header: dict[str, str] = {}

    def select() -> str:
        chosen = session.get("lang")
        if chosen in LANGUAGES:
            return chosen
        header = request.headers.get("Accept-Language", "")
        found = by_header.get(header)
        if found is None:
            if len(by_header) >= remembered:
                by_header.clear()
            found = by_header[header] = request.accept_languages.best_match(LANGUAGES) or "es"
        return found
    return select


def create_app(deps: Deps, secret_key: str, receipts_per_minute: int = 20, secure_cookies: bool = True) -> Flask:
    """A portal app over its dependencies."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key, SESSION_COOKIE_SECURE=secure_cookies, SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="__Host-portal" if secure_cookies else "portal",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8), MAX_CONTENT_LENGTH=9 * 1024 * 1024,
        SESSION_REFRESH_EACH_REQUEST=False,  # 8 h from the last change (login), not sliding: no re-signing per page
        WTF_CSRF_TIME_LIMIT=8 * 3600, BABEL_DEFAULT_LOCALE="es", PREFERRED_URL_SCHEME="https")
    app.extensions["portal"] = deps
    select_language = _language_selector()
    Babel(app, locale_selector=select_language)
    install_template_gettext(app, select_language)
    install_cached_url_for(app)
    install_marks(app)
    CSRFProtect(app)
    install_reused_csrf_tokens(app)
    install_page_frame(app)
    app.session_interface = VerifiedCookies()
    for blueprint in (views_auth.bp, views_home.bp, views_signup.bp, views_account.bp, views_certificates.bp,
                      views_platforms.bp, views_users.bp, views_staff.bp, views_tools.bp):
        app.register_blueprint(blueprint)
    per_client = PerClientLimit(receipts_per_minute)
    for endpoint in ("tools.verify", "tools.receipt_pdf"):  # public and unauthenticated: bounded per client
        app.view_functions[endpoint] = per_client(app.view_functions[endpoint])

    @app.context_processor
    def _globals():
        return {"is_staff": is_staff() if "nif" in session else False, "lang": language()}

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if "nif" in session:
            response.headers["Cache-Control"] = "no-store"
        return response

    def _error(status: int, template: str):
        def handler(error):
            return render_template(template, status=status), status
        return handler

    app.register_error_handler(403, _error(403, "error_403.html"))
    app.register_error_handler(404, _error(404, "error_404.html"))
    app.register_error_handler(413, _error(413, "error_413.html"))
    app.register_error_handler(429, _error(429, "error_429.html"))
    @app.errorhandler(CSRFError)
    def _csrf(error):
        log.info("form refused: CSRF", extra={"reason": error.description, "path": request.path})
        return render_template("error_csrf.html", status=400), 400

    @app.errorhandler(500)
    def _server_error(error):
        log.error("page failed", extra={"path": request.path})
        return render_template("error_500.html", status=500), 500

    @app.get("/healthz")
    def _healthz():
        return {"status": "ok"}

    return app

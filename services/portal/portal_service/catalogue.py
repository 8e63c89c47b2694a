"""The request's message catalogue, looked up once per language (Flask-Babel looks it up again for every string and
parses the locale again for every request), and the templates' `_` over it."""
from __future__ import annotations

from typing import Callable

from flask import Flask, current_app, g
from flask_babel import get_translations
from markupsafe import Markup


def catalogue():
    """The translations of the request's language (its language chosen once per request by the app's selector)."""
    try:
        return g.translations
    except AttributeError:
        pass
    select, books = current_app.extensions["portal.catalogues"]
    g.language = language = select()
    found = books.get(language)
    if found is None:  # Flask-Babel's own catalogue for this language, once: its selector is the same function
        found = books[language] = get_translations()
    g.translations = found
    return found


def language() -> str:
    """The request's language code ("es", "en")."""
    catalogue()
    return g.language


def gettext(message: str, **variables) -> str:
    """Flask-Babel's gettext, over the request's catalogue."""
    text = catalogue().ugettext(message)
    return text % variables if variables else text


def _template_gettext(books) -> Callable[..., Markup]:
    """Jinja's newstyle gettext for the portal's (autoescaped, HTML) templates over one catalogue, without Jinja's
    two i18n wrappers, each variable-free message translated once."""
    known: dict[str, Markup] = {}

    def template_gettext(message: str, **variables) -> Markup:
        if variables:
            return Markup(books.ugettext(message)) % variables
        text = known.get(message)
        if text is None:
            text = known[message] = Markup(books.ugettext(message)) % {}
        return text
    return template_gettext


def install_template_gettext(app: Flask, select: Callable[[], str]) -> None:
    """`_` in templates: the request's language's translator, put in each page's context (macros, which do not see
    the context, find it through the request). `select` is the locale selector given to Flask-Babel."""
    app.extensions["portal.catalogues"] = (select, {})
    translators: dict = {}  # catalogue -> its translator; a catalogue per language, kept by Flask-Babel too

    def translator():
        books = catalogue()
        if books not in translators:
            translators[books] = _template_gettext(books)
        return translators[books]

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalogue().ugettext(s), ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n), newstyle=True)
    app.jinja_env.globals["_"] = lambda message, **variables: translator()(message, **variables)
    app.extensions["portal.translator"] = translator  # for template functions written in Python (marks.py)
    app.context_processor(lambda: {"_": translator()})

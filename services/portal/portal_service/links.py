"""`url_for` in templates, with the links every page repeats (layout, menus, static files) built once per root."""
from __future__ import annotations

from flask import Flask, request, url_for


def install_cached_url_for(app: Flask) -> None:
    """Templates' `url_for` keeps the URLs of argument-less endpoints and static files (about fifteen a page:
    the same strings each time); links with other arguments (ids) are built as before."""
    built: dict[tuple, str] = {}

    def template_url_for(endpoint: str, **values) -> str:
        if endpoint.startswith(".") or (values and (endpoint != "static" or set(values) != {"filename"})):
            return url_for(endpoint, **values)
        key = (request.script_root, endpoint, values.get("filename"))
        url = built.get(key)
        if url is None:
            url = built[key] = url_for(endpoint, **values)
        return url

    app.jinja_env.globals["url_for"] = template_url_for

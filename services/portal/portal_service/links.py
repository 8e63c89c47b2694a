"""`url_for` in templates, with the links every page repeats (layout, menus, static files) built once per root, and
links to ids (a certificate, a platform) from a URL pattern built once per endpoint."""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import Flask, request, url_for

PLAIN_ARGUMENT = re.compile(r"<(\w+)>")  # `<name>`: werkzeug's default (string) converter
SAFE = "!$&'()*+,/:;=@"  # what werkzeug's default converter leaves unquoted in a path segment


def _pattern(app: Flask, endpoint: str, names: frozenset) -> list[str] | None:
    """The endpoint's URL split around its arguments' places, when its only rule has exactly these arguments, all
    with the default converter (then quoting the value is all werkzeug does to it); else None."""
    rules = list(app.url_map.iter_rules(endpoint))
    if len(rules) != 1 or rules[0].arguments != names or any(n.startswith("_") for n in names):
        return None
    if set(PLAIN_ARGUMENT.findall(rules[0].rule)) != names or rules[0].rule.count("<") != len(names):
        return None
    built = url_for(endpoint, **{name: f"--{name}--" for name in names})
    return re.split("--(" + "|".join(map(re.escape, names)) + ")--", built)


def install_cached_url_for(app: Flask) -> None:
    """Templates' `url_for` keeps the URLs of argument-less endpoints and static files (about fifteen a page:
    the same strings each time) and the patterns of links with plain arguments; other links are built as before."""
    built: dict[tuple, str] = {}
    patterns: dict[tuple, list[str] | None] = {}

    def template_url_for(endpoint: str, **values) -> str:
        if endpoint.startswith("."):
            return url_for(endpoint, **values)
        if values and (endpoint != "static" or set(values) != {"filename"}):
            key = (request.script_root, endpoint, frozenset(values))
            if key not in patterns:
                patterns[key] = _pattern(app, endpoint, key[2])
            parts = patterns[key]
            if parts is None:
                return url_for(endpoint, **values)
            filled = parts.copy()
            for at in range(1, len(parts), 2):
                filled[at] = quote(str(values[parts[at]]), safe=SAFE)
            return "".join(filled)
        key = (request.script_root, endpoint, values.get("filename"))
        url = built.get(key)
        if url is None:
            url = built[key] = url_for(endpoint, **values)
        return url

    app.jinja_env.globals["url_for"] = template_url_for

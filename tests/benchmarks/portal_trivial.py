"""The trivial Flask page the portal is compared with, served by the portal's own gunicorn/TLS configuration."""
from __future__ import annotations

import sys
from types import SimpleNamespace

from flask import Flask

PAGE = "<!doctype html><html lang=\"es\"><head><title>Inicio</title></head><body><p>Hola</p></body></html>"


def build(settings) -> SimpleNamespace:
    """A process-like object whose app answers every GET with the same small page."""
    app = Flask("trivial")

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def page(path):
        return PAGE

    return SimpleNamespace(app=app, start=lambda: None)


def main() -> None:
    """Serve it with PortalServer under the VENTANILLA_* settings."""
    from ventanilla.config import Settings
    from portal_service.server import PortalServer

    sys.argv = sys.argv[:1]  # gunicorn parses the command line
    PortalServer(Settings.from_env(), build).run()


if __name__ == "__main__":
    main()

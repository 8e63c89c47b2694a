"""The trivial Flask endpoint the edge is compared with: a fixed SOAP answer, served like the edge."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask, Response

ANSWER = (b"<?xml version='1.0' encoding='UTF-8'?><S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\">"
          b"<S:Body><ns2:consultarEstadoFacturaResponse xmlns:ns2=\"http://v2.ws.efactura.ceh.gobiernodecanarias.org/\">"
          b"<return>REGISTRADA</return></ns2:consultarEstadoFacturaResponse></S:Body></S:Envelope>")


def build(settings, answer: bytes | None = None) -> Flask:
    """A Flask app answering every POST on the SOAP path with a fixed SOAP answer (answer, else the bytes of
    BENCH_ANSWER_FILE, else ANSWER)."""
    app = Flask("trivial")
    fixed = answer or (Path(os.environ["BENCH_ANSWER_FILE"]).read_bytes() if os.environ.get("BENCH_ANSWER_FILE")
                       else ANSWER)

    @app.post(settings.edge.path)
    def answer():
        return Response(fixed, content_type="text/xml; charset=utf-8")

    return app


def main() -> None:
    """Serve it with the edge's own gunicorn configuration (EdgeServer) under VENTANILLA_* settings."""
    from ventanilla.config import Settings

    from soap_edge.http.server import EdgeServer

    sys.argv = sys.argv[:1]  # gunicorn parses the command line
    EdgeServer(Settings.from_env(), build).run()


if __name__ == "__main__":
    main()

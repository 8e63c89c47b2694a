"""The edge under another gunicorn worker configuration: `python -m tests.benchmarks.edge_variant CLASS THREADS`."""
from __future__ import annotations

import sys

from ventanilla.config import Settings

from soap_edge.__main__ import build
from soap_edge.http.server import EdgeServer


class VariantServer(EdgeServer):
    """EdgeServer with the worker class and thread count overridden (workers: VENTANILLA_SOAP_WORKERS)."""

    def __init__(self, settings: Settings, worker_class: str, threads: int):
        self._variant = (worker_class, threads)
        super().__init__(settings, build)

    def load_config(self):
        super().load_config()
        self.cfg.set("worker_class", self._variant[0])
        self.cfg.set("threads", self._variant[1])


def main() -> None:
    """Serve the edge with the worker class and threads given on the command line."""
    worker_class, threads = sys.argv[1], int(sys.argv[2])
    sys.argv = sys.argv[:1]
    VariantServer(Settings.from_env(), worker_class, threads).run()


if __name__ == "__main__":
    main()

"""Composition root of the SOAP edge: `python -m soap_edge` serves it with gunicorn."""
from __future__ import annotations

import spyne.const

from ventanilla.config import Settings
from ventanilla.logs import configure_logging

from soap_edge import proxy
from soap_edge.admission import LargeBodies
from soap_edge.app import soap_wsgi
from soap_edge.backends import Backends
from soap_edge.front import Front
from soap_edge.handlers import Handlers
from soap_edge.memory import limit_malloc_arenas
from soap_edge.receipts import registry_lookup
from soap_edge.server import EdgeServer

WRITES = ("SubmitInvoice", "CancelInvoice", "CancelInvoiceByTuple")  # under VENTANILLA_WRITE_DEADLINE_S
MALLOC_ARENAS = 2  # measured: 12 uploads of 7 MB through one slot, ~60 MB over idle; ~145 MB with glibc's 16


def build(settings: Settings) -> Front:
    """Wire the edge: backends (channels open on first use), handlers, spyne, the HTTP front."""
    # spyne runs a full gc.collect() after any request at most once a second, because its request
    # contexts are cyclic: tens of milliseconds with the GIL held, a stall for every thread of the
    # worker. Small requests leave small cycles to Python's generational collector; LargeBodies
    # collects after each large body, whose cycles hold megabytes.
    spyne.const.MIN_GC_INTERVAL = float("inf")
    limit_malloc_arenas(MALLOC_ARENAS)
    backends = Backends(
        {"registry": settings.registry_address, "status": settings.status_address,
         "cancellation": settings.cancellation_address},
        deadline_s=settings.soap_grpc_deadline_s,
        max_message_bytes=2 * settings.max_body_bytes + 1024 * 1024,
        lb_policy=settings.grpc_lb_policy,
        deadlines=dict.fromkeys(WRITES, settings.write_deadline_s),
    )
    handlers = Handlers(backends, settings.group_max_items)
    soap = soap_wsgi(handlers, proxy.networks(settings.trusted_proxies))
    large = LargeBodies(settings.soap_max_large_bodies, wait_s=settings.soap_request_timeout_s)
    return Front(soap, backends.ready, settings.soap_path, settings.max_body_bytes, registry_lookup(backends), large)


def main() -> None:
    """Serve the edge until SIGINT or SIGTERM."""
    settings = Settings.from_env()
    configure_logging("soap-edge", settings.log_level)
    EdgeServer(settings, build).run()


if __name__ == "__main__":
    main()

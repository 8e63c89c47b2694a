"""gunicorn's own refusals of malformed HTTP (head, chunked body) as PeFAC faults with HTTP 500."""
from __future__ import annotations

import logging
import ssl

from gunicorn import util
from gunicorn.http.errors import ParseException

from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge import faults
from soap_edge.requestid import request_id

access = logging.getLogger("soap_edge.access")


def address(client) -> str:
    """The peer's IP address as gunicorn hands it over (a tuple for TCP)."""
    return client[0] if isinstance(client, tuple) and client else str(client)


def refuse(worker_log, client, addr, exc: Exception) -> None:
    """Answer what gunicorn could not parse with a fault (facturae.error.xml; anything else: registro)."""
    rid = request_id({})
    if isinstance(exc, (ParseException, ssl.SSLError)):
        worker_log.warning("Invalid request from ip=%s: %s", address(addr), exc)
        error = DomainError(ErrorKey.XML, f"Petición HTTP no válida ({type(exc).__name__}: {str(exc)[:200]}).")
    else:
        worker_log.exception("Error handling request")
        error = DomainError(ErrorKey.REGISTRO)
    access.info("request", extra={"request_id": rid, "remote_addr": address(addr), "status": 500,
                                  "fault_key": error.key.value})
    try:
        util.write_nonblock(client, faults.http_response(error, rid))
    except Exception:  # noqa: BLE001 - the peer may be gone; nothing more to tell it
        worker_log.debug("Failed to send error message.")

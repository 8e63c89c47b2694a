"""Who is calling: the NIF in the client certificate, from the TLS handshake or a trusted ingress."""
from __future__ import annotations

import logging
from typing import Mapping

from ventanilla import certnif, tls
from ventanilla.api.v1 import services_pb2
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge import proxy
from soap_edge.keys import CALLER, REQUEST_ID

log = logging.getLogger("soap_edge.identity")


def caller_identity(environ: Mapping, trusted_proxies: tuple[proxy.Network, ...] = ()) -> str:
    """The caller's NIF, or DomainError(CERTIFICADO_SIN_NIF) when no verified certificate names one.

    The only source of identity: the certificate verified in this connection's TLS handshake or, for a
    peer in trusted_proxies, the certificate that ingress verified and forwarded in its headers.
    """
    der = proxy.forwarded_certificate(environ, trusted_proxies)
    source = "proxy"
    if der is None:
        der, source = tls.peer_certificate(environ), "tls"
    found = certnif.der_nif(der) if der else None
    if found is None:
        log.info("no NIF in the client certificate", extra={"request_id": environ.get(REQUEST_ID),
                                                           "certificate": bool(der), "source": source})
        raise DomainError(ErrorKey.CERTIFICADO_SIN_NIF)
    nif, attribute = found
    if isinstance(environ, dict):
        environ[CALLER] = f"{nif} ({source}:{attribute})"  # for the access log
    return nif


def caller_of(environ: Mapping, trusted_proxies: tuple[proxy.Network, ...] = ()) -> services_pb2.Caller:
    """The gRPC Caller of this request: identity plus request id."""
    return services_pb2.Caller(nif=caller_identity(environ, trusted_proxies),
                               request_id=environ.get(REQUEST_ID, ""))

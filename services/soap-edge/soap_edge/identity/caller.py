"""Who is calling: the NIF in the client certificate, from the TLS handshake or a trusted ingress."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping

from ventanilla import certnif, tls
from ventanilla.memo import Memo

from soap_edge.identity import proxy

log = logging.getLogger("soap_edge.identity")


class Via(Enum):
    """How the certificate reached the edge."""

    TLS_PEER = "tls"        # verified in this connection's own handshake
    TRUSTED_PROXY = "proxy"  # verified by a TLS-terminating ingress in trusted_proxies and forwarded in its headers


@dataclass(frozen=True)
class Caller:
    """A caller named by a verified client certificate."""

    nif: str
    fingerprint: str  # SHA-256 of the certificate's DER, lower-case hex (the portal's and the directory's key)
    via: Via
    attribute: str    # the certificate attribute that named the NIF
    certificate: bytes = field(default=b"", repr=False, compare=False)  # its DER (for revocation checks)

    def __str__(self) -> str:
        return f"{self.nif} ({self.via.value}:{self.attribute})"


@dataclass(frozen=True)
class Unidentified:
    """A request whose certificate names nobody: refused by every operation that needs a caller."""

    via: Via
    certificate: bool  # whether there was a verified certificate at all


def identify(environ: Mapping, trusted_proxies: tuple[proxy.Network, ...], request_id: str,
             memo: Memo | None = None) -> Caller | Unidentified:
    """The caller of this request, or why there is none.

    The only source of identity: the certificate verified in this connection's TLS handshake or, for a
    peer in trusted_proxies, the certificate that ingress verified and forwarded in its headers.
    memo: remembers what each certificate already read says (its bytes name the same NIF every time).
    """
    der, via = proxy.forwarded_certificate(environ, trusted_proxies, request_id, memo), Via.TRUSTED_PROXY
    if der is None:
        der, via = tls.peer_certificate(environ), Via.TLS_PEER
    found = None
    if der:
        found = memo(("der", der), lambda: _named(der)) if memo is not None else _named(der)
    if found is None:
        log.info("no NIF in the client certificate", extra={"request_id": request_id, "certificate": bool(der),
                                                           "source": via.value})
        return Unidentified(via, bool(der))
    nif, attribute, fingerprint = found
    return Caller(nif, fingerprint, via, attribute, der)


def _named(der: bytes) -> tuple[str, str, str] | None:
    """(NIF, attribute that named it, SHA-256 fingerprint) of a DER certificate; None when it names nobody."""
    found = certnif.der_nif(der)
    return (*found, hashlib.sha256(der).hexdigest()) if found else None

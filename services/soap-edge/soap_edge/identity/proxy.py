"""A client certificate forwarded by a TLS-terminating ingress (nginx ingress headers), from trusted peers only."""
from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache
from typing import Iterable, Mapping
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ventanilla.memo import Memo

log = logging.getLogger("soap_edge.identity")

CERT_HEADER = "HTTP_SSL_CLIENT_CERT"      # ssl-client-cert: URL-encoded PEM ($ssl_client_escaped_cert)
VERIFY_HEADER = "HTTP_SSL_CLIENT_VERIFY"  # ssl-client-verify: SUCCESS when nginx verified the chain
_MAX_PEM_CHARS = 32 * 1024

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(spec: str | Iterable[str]) -> tuple[Network, ...]:
    """Parse "10.0.0.0/8, 192.168.1.7" (or a list) into networks; a bad entry raises ValueError."""
    items = spec.split(",") if isinstance(spec, str) else spec
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


@lru_cache(maxsize=256)  # a handful of ingress addresses ask on every request
def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def forwarded_certificate(environ: Mapping, proxies: tuple[Network, ...], request_id: str = "",
                          memo: Memo | None = None) -> bytes | None:
    """The DER of the certificate a trusted proxy verified and forwarded; None otherwise (and logged).

    memo: remembers the DER of each forwarded PEM already read (the trust checks above it run on every request).
    """
    raw = environ.get(CERT_HEADER)
    if raw is None:
        return None
    remote = environ.get("REMOTE_ADDR", "")
    if not _trusted(remote, proxies):
        log.warning("client certificate header ignored: peer is not a trusted proxy",
                    extra={"remote_addr": remote, "request_id": request_id})
        return None
    verified = environ.get(VERIFY_HEADER, "")
    if verified != "SUCCESS" or len(raw) > _MAX_PEM_CHARS:
        log.warning("forwarded client certificate refused", extra={"remote_addr": remote, "verify": verified[:40]})
        return None
    der = memo(("pem", raw), lambda: _der(raw)) if memo is not None else _der(raw)
    if der is None:
        log.warning("forwarded client certificate unreadable", extra={"remote_addr": remote})
    return der


def _der(raw: str) -> bytes | None:
    try:
        certificate = x509.load_pem_x509_certificate(unquote(raw).encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    return certificate.public_bytes(serialization.Encoding.DER)

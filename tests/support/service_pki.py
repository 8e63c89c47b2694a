"""One set of internal service certificates for a test session (the dev PKI's), and channels that present them."""
from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import grpc

from ventanilla import devpki
from ventanilla.adapters.service_tls import channel
from ventanilla.config import ServiceTls


@functools.cache
def service_tls_env() -> dict[str, str]:
    """VENTANILLA_SERVICE_TLS_DIR and _CA of this session's internal PKI (issued on first use: RSA keys are slow)."""
    where = devpki.Layout(Path(tempfile.mkdtemp(prefix="ventanilla-services-pki-")))
    devpki.services(where)
    return {"VENTANILLA_SERVICE_TLS_DIR": str(where.directory / "services"),
            "VENTANILLA_SERVICE_TLS_CA": str(where.cert("internal-ca"))}


def dial(address: str, target: str, me: str = "soap-edge", options=()) -> grpc.Channel:
    """A channel to service `target` at address, presenting service `me`'s certificate."""
    return channel(ServiceTls.from_env(service_tls_env(), Path(".")), me, target, address, options)

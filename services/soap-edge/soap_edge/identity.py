"""Who is calling: the seam where the TLS client certificate's NIF comes in."""
from __future__ import annotations

from typing import Mapping

from ventanilla.api.v1 import services_pb2

from soap_edge.keys import REQUEST_ID


def caller_identity(environ: Mapping) -> str:
    """The caller's NIF; "" in plain-HTTP development mode (no client certificate yet).

    The TLS issue replaces this body: read the verified client certificate that the TLS
    front puts in the environ, return its NIF, or raise DomainError(CERTIFICADO_SIN_NIF).
    """
    return ""


def caller_of(environ: Mapping) -> services_pb2.Caller:
    """The gRPC Caller of this request: identity plus request id."""
    return services_pb2.Caller(nif=caller_identity(environ), request_id=environ.get(REQUEST_ID, ""))

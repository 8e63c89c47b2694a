"""Catalogue errors across gRPC: a status code plus the key in trailing metadata."""
from __future__ import annotations

import grpc

from ventanilla.domain.errors import DomainError, ErrorKey, Side

ERROR_KEY_HEADER = "ventanilla-error-key"


def abort_with(context: grpc.ServicerContext, error: DomainError) -> None:
    """End the current RPC with the error's key, detail and a matching status code."""
    code = grpc.StatusCode.FAILED_PRECONDITION if error.key.side is Side.CLIENT else grpc.StatusCode.INTERNAL
    context.set_trailing_metadata(((ERROR_KEY_HEADER, error.key.value),))
    context.abort(code, error.detail)


def domain_error_of(rpc_error: grpc.RpcError) -> DomainError | None:
    """The catalogue error an RPC ended with, or None when it ended otherwise."""
    for name, value in rpc_error.trailing_metadata() or ():
        if name == ERROR_KEY_HEADER:
            try:
                return DomainError(ErrorKey(value), rpc_error.details())
            except ValueError:
                return None
    return None

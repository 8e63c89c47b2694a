"""The server interceptor's handlers: composed once per method, each call's request id read in the handler's thread."""
from __future__ import annotations

from types import SimpleNamespace

import grpc

from ventanilla.observability import requestid
from ventanilla.observability.grpc_interceptors import RequestIdServerInterceptor


class Context:
    """A servicer context with the call's metadata."""

    def __init__(self, metadata):
        self._metadata = metadata

    def invocation_metadata(self):
        return self._metadata


def test_a_method_is_composed_once_and_each_call_has_its_own_request_id_while_it_runs():
    calls, method = RequestIdServerInterceptor(), SimpleNamespace(method="/v1.Status/Get", invocation_metadata=())
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: requestid.current())
    composed = calls.intercept_service(lambda _: handler, method)
    assert calls.intercept_service(lambda _: handler, method) is composed
    run = composed.unary_unary
    assert run(None, Context((("x-request-id", "r-1"),))) == "r-1"
    assert run(None, Context((("x-request-id", "r-1"), ("x-request-id", "r-2")))) == "r-2"  # the last one sent
    assert run(None, Context((("x-request-id", "not sane!"),))) is None
    assert run(None, Context(None)) is None and requestid.current() is None
    replaced = grpc.unary_unary_rpc_method_handler(lambda request, context: "replaced")
    assert calls.intercept_service(lambda _: replaced, method).unary_unary(None, Context(())) == "replaced"
    assert calls.intercept_service(lambda _: None, method) is None  # a method nobody serves

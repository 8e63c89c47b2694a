"""A gRPC server interceptor that composes each method's handler once, not on every call."""
from __future__ import annotations

import grpc


class ComposedPerMethod(grpc.ServerInterceptor):
    """grpc runs intercept_service for every call in its one polling thread, which every call of the server waits
    for: there this only looks up the handler `compose` made once for the method (again only if the handler it
    continues to is replaced, e.g. when a replica becomes ready); whatever is about the call is read in the handler's
    thread."""

    def __init__(self):
        self._made: dict = {}  # method name -> (the handler continued to, the handler composed on it)

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        made = self._made.get(method)
        if made is None or made[0] is not handler:
            made = self._made[method] = (handler, self.compose(handler, method))
        return made[1]

    def compose(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler | None:
        """The handler this interceptor gives for method, made on the handler it continues to (None: refused)."""
        raise NotImplementedError

"""A channel whose blocking unary and client-streaming calls get the client interceptor's work (request id, metrics,
trace context) directly around the channel's own multicallable, without grpc.intercept_channel's machinery (a new
multicallable, call details and outcome object per call: 27-30 µs at the edge, docs/benchmarks.md); futures,
with_call and server-streaming calls still go through grpc.intercept_channel, as before."""
from __future__ import annotations

from typing import NamedTuple

import grpc


class CallDetails(NamedTuple):
    """A call's details as grpc's client interceptors read them (grpc.ClientCallDetails' fields)."""
    method: str
    timeout: float | None
    metadata: tuple | None
    credentials: object
    wait_for_ready: bool | None
    compression: object


class _Answered(grpc.Future):
    """A blocking call's answer as the done Future an interceptor's continuation returns (grpc's own would cost a
    rendezvous object, with_call's, per call)."""

    def __init__(self, response):
        self._response = response

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.OK

    def result(self, timeout=None):
        return self._response

    def exception(self, timeout=None):
        return None

    def traceback(self, timeout=None):
        return None

    def add_done_callback(self, fn):
        fn(self)

    def cancel(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def running(self) -> bool:
        return False

    def done(self) -> bool:
        return True


class _Direct:
    """A multicallable: __call__ runs the interceptor around the channel's own with_call; the rest, intercepted."""

    def __init__(self, direct, intercepted, method: str, intercept):
        self._direct, self._intercepted, self._method, self._intercept = direct, intercepted, method, intercept

    def _continue(self, details, request):
        """The interceptor's continuation: the call's outcome, a done Future (an RpcError when it failed)."""
        try:
            return _Answered(self._direct(request, timeout=details.timeout, metadata=details.metadata,
                                          credentials=details.credentials, wait_for_ready=details.wait_for_ready,
                                          compression=details.compression))
        except grpc.RpcError as error:  # grpc's _InactiveRpcError: a done Call and Future whose result() raises it
            if not isinstance(error, grpc.Future):
                raise
            return error

    def __call__(self, request, timeout=None, metadata=None, credentials=None, wait_for_ready=None,
                 compression=None):
        details = CallDetails(self._method, timeout, metadata, credentials, wait_for_ready, compression)
        return self._intercept(self._continue, details, request).result()

    def with_call(self, *args, **kwargs):
        return self._intercepted.with_call(*args, **kwargs)

    def future(self, *args, **kwargs):
        return self._intercepted.future(*args, **kwargs)


class ObservedChannel(grpc.Channel):
    """channel with interceptor's work on every call: blocking unary and client-streaming calls directly."""

    def __init__(self, channel: grpc.Channel, interceptor):
        self._channel, self._interceptor = channel, interceptor
        self._intercepted = grpc.intercept_channel(channel, interceptor)

    def unary_unary(self, method, *args, **kwargs):
        return _Direct(self._channel.unary_unary(method, *args, **kwargs),
                       self._intercepted.unary_unary(method, *args, **kwargs), method,
                       self._interceptor.intercept_unary_unary)

    def stream_unary(self, method, *args, **kwargs):
        return _Direct(self._channel.stream_unary(method, *args, **kwargs),
                       self._intercepted.stream_unary(method, *args, **kwargs), method,
                       self._interceptor.intercept_stream_unary)

    def unary_stream(self, method, *args, **kwargs):
        return self._intercepted.unary_stream(method, *args, **kwargs)

    def stream_stream(self, method, *args, **kwargs):
        return self._intercepted.stream_stream(method, *args, **kwargs)

    def subscribe(self, callback, try_to_connect=False):
        self._channel.subscribe(callback, try_to_connect)

    def unsubscribe(self, callback):
        self._channel.unsubscribe(callback)

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self._channel.close()
        return False


"""Prototype: the status service's query side on a grpc.aio server, every layer in one async wrapper per method."""
from __future__ import annotations

import asyncio
import threading
import time

import grpc

from ventanilla.adapters.service_tls import CALLERS, caller_of, server_credentials
from ventanilla.observability import requestid


class _Aborted(Exception):
    def __init__(self, code, details):
        self.code, self.details = code, details


class _SyncContext:
    """What a sync handler uses of its context, over an aio one: abort raises, the wrapper awaits the real abort."""

    __slots__ = ("_context",)

    def __init__(self, context):
        self._context = context

    def abort(self, code, details=""):
        raise _Aborted(code, details)

    def set_trailing_metadata(self, metadata):
        self._context.set_trailing_metadata(metadata)

    def __getattr__(self, name):
        return getattr(self._context, name)


def _wrapped(method, behaviour, calls, ready):
    allowed = CALLERS.get(method, frozenset())
    service, name = calls.labels(method)
    started, handling, handled = calls.started("UNARY", service, name), calls.handling("UNARY", service, name), calls.handled

    async def run(request, context):
        caller = caller_of(context)
        if not caller & allowed:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED if caller else grpc.StatusCode.UNAUTHENTICATED, "no")
        if not ready.is_set():
            await context.abort(grpc.StatusCode.UNAVAILABLE, "not ready")
        started.inc()
        begun = time.perf_counter()
        code = grpc.StatusCode.OK
        offered = None
        for key, value in context.invocation_metadata() or ():
            if key == requestid.METADATA_KEY:
                offered = value
        try:
            with requestid.bound(requestid.accepted(offered)):
                try:
                    return behaviour(request, _SyncContext(context))
                except _Aborted as aborted:
                    code = aborted.code
                    await context.abort(aborted.code, aborted.details)
        except Exception:
            code = grpc.StatusCode.UNKNOWN if code is grpc.StatusCode.OK else code
            raise
        finally:
            handling.observe(time.perf_counter() - begun)
            handled("UNARY", service, name, code.name).inc()
    return run


class _Collector:
    def __init__(self):
        self.handlers = {}

    def add_generic_rpc_handlers(self, _handlers):
        pass

    def add_registered_method_handlers(self, service, methods):
        self.handlers.update({f"/{service}/{name}": h for name, h in methods.items()})


class _Generic(grpc.GenericRpcHandler):
    def __init__(self, handlers):
        self._handlers = handlers

    def service(self, details):
        return self._handlers.get(details.method)


def serve(port, tls, add, calls, ready):
    """An aio server in its own thread's loop; returns a stop()."""
    collected = _Collector()
    add(collected)
    handlers = {m: grpc.unary_unary_rpc_method_handler(_wrapped(m, h.unary_unary, calls, ready),
                                                       h.request_deserializer, h.response_serializer)
                for m, h in collected.handlers.items()}
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():
        server = grpc.aio.server(options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        server.add_generic_rpc_handlers((_Generic(handlers),))
        server.add_secure_port(f"127.0.0.1:{port}", server_credentials(tls, "status"))
        await server.start()
        return server
    server = asyncio.run_coroutine_threadsafe(start(), loop).result(30)

    def stop(_grace=0):
        asyncio.run_coroutine_threadsafe(server.stop(0), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
    return stop


def _sync_wrapped(method, behaviour, calls, ready):
    """The same layers in one synchronous wrapper built once per method (no interceptor pipeline per call)."""
    allowed = CALLERS.get(method, frozenset())
    service, name = calls.labels(method)
    started, handling, handled = calls.started("UNARY", service, name), calls.handling("UNARY", service, name), calls.handled

    def run(request, context):
        caller = caller_of(context)
        if not caller & allowed:
            context.abort(grpc.StatusCode.PERMISSION_DENIED if caller else grpc.StatusCode.UNAUTHENTICATED, "no")
        if not ready.is_set():
            context.abort(grpc.StatusCode.UNAVAILABLE, "not ready")
        started.inc()
        begun = time.perf_counter()
        code = grpc.StatusCode.OK
        offered = None
        for key, value in context.invocation_metadata() or ():
            if key == requestid.METADATA_KEY:
                offered = value
        try:
            with requestid.bound(requestid.accepted(offered)):
                return behaviour(request, context)
        except Exception:
            code = context._state.code or grpc.StatusCode.UNKNOWN
            raise
        finally:
            handling.observe(time.perf_counter() - begun)
            handled("UNARY", service, name, code.name).inc()
    return run


def serve_sync(port, tls, add, calls, ready):
    """A sync grpc.server with one generic handler holding every layer; returns a stop()."""
    from concurrent import futures
    collected = _Collector()
    add(collected)
    handlers = {m: grpc.unary_unary_rpc_method_handler(_sync_wrapped(m, h.unary_unary, calls, ready),
                                                       h.request_deserializer, h.response_serializer)
                for m, h in collected.handlers.items()}
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                         options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
    server.add_generic_rpc_handlers((_Generic(handlers),))
    server.add_secure_port(f"127.0.0.1:{port}", server_credentials(tls, "status"))
    server.start()
    return lambda _grace=0: server.stop(0).wait()

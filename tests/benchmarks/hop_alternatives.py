"""Other server shapes for the status service's query side, for bench_hop.py (hop_server.py `status-aio`,
`status-generic`): the same servicer and the same layers as `GrpcServer` with its interceptors (the callers' check
against service_tls.CALLERS, the ready gate, the request id, grpc_server_started/handled/handling on the metrics'
own children), but without grpc's interceptor pipeline: one wrapper built once per method, in one generic handler,

* `serve`: on a **grpc.aio** server, each call a coroutine on the server's event loop, the query run on the loop
  (no executor: the projection is at the log's end here, so nothing waits);
* `serve_sync`: on the synchronous `grpc.server` with its pool of 16 threads, as `GrpcServer`.

Measured here, not wired into the service (docs/benchmarks.md, "The status service's query side on grpc.aio")."""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent import futures

import grpc

from ventanilla.adapters.service_tls import CALLERS, caller_of, server_credentials
from ventanilla.observability import requestid

OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024), ("grpc.max_send_message_length", 64 * 1024 * 1024)]


class _Aborted(Exception):
    """A synchronous handler's context.abort on the event loop: the wrapper awaits the real one."""

    def __init__(self, code, details):
        super().__init__(details)
        self.code, self.details = code, details


class _LoopContext:
    """What a synchronous handler uses of its context, over an aio one (whose abort is a coroutine)."""

    __slots__ = ("_context",)

    def __init__(self, context):
        self._context = context

    def abort(self, code, details=""):
        raise _Aborted(code, details)

    def __getattr__(self, name):
        return getattr(self._context, name)


class _Layers:
    """One method's layers, looked up once: who may call it, its metrics' children."""

    def __init__(self, method: str, calls, ready: threading.Event):
        self.allowed, self.ready = CALLERS.get(method, frozenset()), ready
        self.service, self.name = calls.labels(method)
        self._calls = calls

    def started(self) -> None:
        self._calls.started("UNARY", self.service, self.name)

    def refusal(self, context) -> tuple[grpc.StatusCode, str] | None:
        """The callers' check, then the ready gate."""
        caller = caller_of(context)
        if not caller & self.allowed:
            return (grpc.StatusCode.PERMISSION_DENIED if caller else grpc.StatusCode.UNAUTHENTICATED), "refused"
        return None if self.ready.is_set() else (grpc.StatusCode.UNAVAILABLE, "not ready")

    @staticmethod
    def request_id(context) -> str | None:
        for key, value in context.invocation_metadata() or ():
            if key == requestid.METADATA_KEY:
                return requestid.accepted(value)
        return None

    def handled(self, begun: float, code: grpc.StatusCode) -> None:
        self._calls.handled("UNARY", self.service, self.name, code, time.perf_counter() - begun)


def _on_loop(layers: _Layers, behaviour):
    async def run(request, context):
        refused = layers.refusal(context)
        if refused is not None:
            await context.abort(*refused)
        layers.started()
        begun, code = time.perf_counter(), grpc.StatusCode.OK
        try:
            with requestid.bound(layers.request_id(context)):
                try:
                    return behaviour(request, _LoopContext(context))
                except _Aborted as aborted:
                    code = aborted.code
                    await context.abort(aborted.code, aborted.details)
        except Exception:
            code = grpc.StatusCode.UNKNOWN if code is grpc.StatusCode.OK else code
            raise
        finally:
            layers.handled(begun, code)
    return run


def _in_pool(layers: _Layers, behaviour):
    def run(request, context):
        refused = layers.refusal(context)
        if refused is not None:
            context.abort(*refused)
        layers.started()
        begun, code = time.perf_counter(), grpc.StatusCode.OK
        try:
            with requestid.bound(layers.request_id(context)):
                return behaviour(request, context)
        except Exception:
            code = context._state.code or grpc.StatusCode.UNKNOWN  # noqa: SLF001 - as grpc_metrics._code
            raise
        finally:
            layers.handled(begun, code)
    return run


class _Collector:
    """Takes the method handlers a generated add_*_to_server registers."""

    def __init__(self):
        self.handlers: dict[str, grpc.RpcMethodHandler] = {}

    def add_generic_rpc_handlers(self, _handlers) -> None:
        pass

    def add_registered_method_handlers(self, service: str, methods: dict) -> None:
        self.handlers.update({f"/{service}/{name}": handler for name, handler in methods.items()})


class _Methods(grpc.GenericRpcHandler):
    def __init__(self, handlers: dict):
        self._handlers = handlers

    def service(self, handler_call_details):
        return self._handlers.get(handler_call_details.method)


def _methods(add, calls, ready: threading.Event, wrap) -> _Methods:
    collected = _Collector()
    add(collected)
    return _Methods({method: grpc.unary_unary_rpc_method_handler(
        wrap(_Layers(method, calls, ready), handler.unary_unary), handler.request_deserializer,
        handler.response_serializer) for method, handler in collected.handlers.items()})


def serve(port: int, tls, add, calls, ready: threading.Event):
    """A grpc.aio server on 127.0.0.1:port, its loop in a thread of its own; returns its stop()."""
    methods = _methods(add, calls, ready, _on_loop)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="grpc-aio", daemon=True)
    thread.start()

    async def start():
        server = grpc.aio.server(options=OPTIONS)
        server.add_generic_rpc_handlers((methods,))
        server.add_secure_port(f"127.0.0.1:{port}", server_credentials(tls, "status"))
        await server.start()
        return server
    server = asyncio.run_coroutine_threadsafe(start(), loop).result(30)

    def stop(grace: float = 0) -> None:
        asyncio.run_coroutine_threadsafe(server.stop(grace), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
    return stop


def serve_sync(port: int, tls, add, calls, ready: threading.Event):
    """The synchronous grpc.server, its pool of 16 threads, the layers in one generic handler; returns its stop()."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=OPTIONS)
    server.add_generic_rpc_handlers((_methods(add, calls, ready, _in_pool),))
    server.add_secure_port(f"127.0.0.1:{port}", server_credentials(tls, "status"))
    server.start()
    return lambda grace=0: server.stop(grace).wait()

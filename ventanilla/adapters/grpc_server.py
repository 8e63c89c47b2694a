"""A gRPC server with standard health checking, shared by every Ventanilla service."""
from __future__ import annotations

import json
import logging
import signal
import threading
from concurrent import futures
from contextlib import contextmanager
from typing import Callable, Iterator

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from ventanilla.stopping import FLUSH_S, StopBudget

log = logging.getLogger("ventanilla.grpc")

AddServicers = Callable[[grpc.Server], None]  # e.g. lambda server: add_XServicer_to_server(api, server)
# The health service name Kubernetes' liveness probes ask: unlike "" (ready to do the work), it fails only
# when the server cannot answer at all, which a restart cures.
LIVENESS = "liveness"

# Client channel options: a restarted server is found again within seconds, not after the default 120 s backoff.
RECONNECT_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
)


class ReadyGate(grpc.ServerInterceptor):
    """Refuses every call but health checks with UNAVAILABLE until `ready` is set."""

    def __init__(self, ready: threading.Event, reason: str):
        self._ready = ready
        self._refusal = grpc.unary_unary_rpc_method_handler(
            lambda _request, context: context.abort(grpc.StatusCode.UNAVAILABLE, reason))

    def intercept_service(self, continuation, handler_call_details):
        if self._ready.is_set() or handler_call_details.method.startswith("/grpc.health.v1.Health/"):
            return continuation(handler_call_details)
        return self._refusal


def balancing(lb_policy: str) -> tuple[tuple[str, str], ...]:
    """Client channel options for a load-balancing policy: round_robin with a dns:/// target naming a headless
    Service keeps a connection to every pod and spreads calls over them; pick_first uses one address."""
    return (("grpc.service_config", json.dumps({"loadBalancingConfig": [{lb_policy: {}}]})),)


class BindError(OSError):
    """A gRPC server cannot bind its address (most often: another process holds it)."""

    def __init__(self, what: str, address: str):
        super().__init__(f"cannot bind {what} to {address}")
        self.address = address


@contextmanager
def exit_when_unbound() -> Iterator[None]:
    """A composition root's wiring, where a server that cannot bind its address ends the process with one
    structured error line and status 1 rather than a traceback."""
    try:
        yield
    except BindError as error:
        log.error("cannot bind", extra={"address": error.address, "error": str(error)})
        raise SystemExit(1) from None


class GrpcServer:
    """A started gRPC server reporting SERVING on the standard health service (TLS when given credentials)."""

    def __init__(self, address: str, add_servicers: list[AddServicers], workers: int = 16,
                 credentials: grpc.ServerCredentials | None = None,
                 interceptors: tuple[grpc.ServerInterceptor, ...] = (), health_address: str = "",
                 share_port: bool = False, more_addresses: dict[str, str] | None = None):
        """share_port: several processes bind the same address and the kernel spreads connections over them
        (SO_REUSEPORT). gRPC turns it on by default on Linux, so a server that does not share its port turns it off:
        a second process on a taken address then fails to bind (OSError) instead of silently taking half of the
        connections meant for another service. The option covers the health port too.

        more_addresses ({what: address}): more ports of this one server, with the same credentials and interceptors,
        so that one process serving several APIs has one completion queue, one poller thread and one pool (a second
        grpc server, even idle, takes a share of the first one's polling: docs/benchmarks.md, "The status service's
        CPU per GetInvoice by thread"). Every port serves every servicer added: which caller may call which method
        is the interceptors' (service_tls.CallerCheck), as for the health port."""
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=workers),
            options=[("grpc.max_receive_message_length", 64 * 1024 * 1024),
                     ("grpc.max_send_message_length", 64 * 1024 * 1024),
                     ("grpc.so_reuseport", 1 if share_port else 0)],
            interceptors=interceptors,
        )
        self._health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        for add in add_servicers:
            add(self._server)
        self._started = False
        self.port = self._bind("gRPC server", address, credentials)
        # plaintext for Kubernetes' gRPC probes: with mutual TLS, every other method refuses a caller without a
        # verified service certificate (service_tls.CallerCheck), which a plaintext connection never has
        more = [(what, where, credentials) for what, where in (more_addresses or {}).items()]
        try:
            for what, where, with_credentials in more + ([("gRPC health port", health_address, None)]
                                                         if health_address else []):
                self._bind(what, where, with_credentials)
        except BindError:
            self.stop(0)  # the ports bound already are let go
            raise

    def _bind(self, what: str, address: str, credentials: grpc.ServerCredentials | None) -> int:
        """The port bound at address; BindError when it cannot be (gRPC answers 0 or raises RuntimeError)."""
        try:
            port = (self._server.add_secure_port(address, credentials) if credentials is not None
                    else self._server.add_insecure_port(address))
        except RuntimeError:
            port = 0
        if port == 0:
            raise BindError(what, address)
        return port

    def start(self, serving: bool = True) -> None:
        """Start serving and report SERVING (or NOT_SERVING, until set_serving says otherwise).

        Health service "liveness" says SERVING while the process runs, ready or not (for liveness probes).
        """
        self._server.start()
        self._started = True
        self._health.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)
        self.set_serving(serving)

    def set_serving(self, serving: bool) -> None:
        """Report SERVING or NOT_SERVING on the standard health service (ignored once stopping)."""
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        self._health.set("", status)

    def stop(self, grace_s: float = 5.0) -> None:
        """Report NOT_SERVING, then stop after in-flight calls finish."""
        self.begin_stop(grace_s).wait()

    def begin_stop(self, grace_s: float) -> threading.Event:
        """Report NOT_SERVING and refuse new calls at once; calls under way may finish within grace_s, then are
        cancelled. The event is set once the server has stopped."""
        self._health.enter_graceful_shutdown()
        if not self._started:  # gRPC's stop lets a server never started keep its ports: started, it lets them go
            self._server.start()
            self._started, grace_s = True, 0
        return self._server.stop(grace_s)


def stop_servers(servers: list[GrpcServer], budget: StopBudget, grace_s: float) -> None:
    """Stop servers together: calls under way finish within grace_s (and the budget)."""
    stopped = [server.begin_stop(budget.left(grace_s)) for server in servers]
    for done in stopped:
        done.wait(budget.left())


def run_until_signalled(on_stop: Callable[[StopBudget], None], bound_s: float,
                        flush: Callable[[float], object] | None = None) -> None:
    """Block the main thread until SIGINT or SIGTERM, then call on_stop with a budget of bound_s seconds, past
    which the process exits whatever is left (ventanilla/stopping.py), then flush(what is left, at most FLUSH_S):
    the spans still buffered (Observability.close), inside the bound whatever the collector does."""
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    stopping.wait()
    budget = StopBudget(bound_s)
    budget.watch()
    log.info("stopping", extra={"bound_s": bound_s})
    on_stop(budget)
    if flush is not None:
        flush(budget.left(FLUSH_S))

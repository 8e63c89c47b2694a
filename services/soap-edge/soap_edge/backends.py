"""gRPC channels to the registry, status and cancellation services, opened per worker process."""
from __future__ import annotations

import logging
import os
import threading
from typing import Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ventanilla.adapters.grpc_errors import domain_error_of
from ventanilla.adapters.grpc_server import RECONNECT_OPTIONS, balancing
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.domain.errors import REGISTRATION_IN_DOUBT, DomainError, ErrorKey

log = logging.getLogger("soap_edge.backends")

STUBS = {
    "registry": services_pb2_grpc.RegistryServiceStub,
    "status": services_pb2_grpc.StatusServiceStub,
    "cancellation": services_pb2_grpc.CancellationServiceStub,
}
_LABELS = {"registry": "de registro", "status": "de consulta", "cancellation": "de anulación"}
_UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
# The server-side key of each backend being out of reach: a cancellation is not a registration (PeFAC's own
# cancellation fails on its back-office connection with sefcan.socket.timeout; docs/architecture.md).
_UNREACHABLE_KEY = {"registry": ErrorKey.REGISTRO, "status": ErrorKey.REGISTRO,
                    "cancellation": ErrorKey.SEFCAN_TIMEOUT}
_NOT_YOURS = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED}


class Backends:
    """Lazily opened channels (after the worker fork), every call under a deadline."""

    def __init__(self, addresses: dict[str, str], deadline_s: float, max_message_bytes: int,
                 open_channel: Callable[..., grpc.Channel] = grpc.insecure_channel, lb_policy: str = "pick_first",
                 deadlines: dict[str, float] | None = None):
        self._addresses = addresses
        self._deadline_s = deadline_s
        self._deadlines = deadlines or {}  # by method: longer for writes, whose stages behind must all fit
        self._options = [("grpc.max_send_message_length", max_message_bytes),
                         ("grpc.max_receive_message_length", max_message_bytes), *RECONNECT_OPTIONS,
                         *balancing(lb_policy)]
        self._open_channel = open_channel
        self._lock = threading.Lock()
        self._pid = None
        self._channels: dict[str, grpc.Channel] = {}

    def _channel(self, address: str) -> grpc.Channel:
        with self._lock:
            if self._pid != os.getpid():  # never reuse a channel inherited across fork()
                self._pid, self._channels = os.getpid(), {}
            if address not in self._channels:
                self._channels[address] = self._open_channel(address, options=self._options)
            return self._channels[address]

    def call(self, service: str, method: str, request):
        """Call service.method(request) under the deadline; gRPC failures become DomainErrors."""
        stub = STUBS[service](self._channel(self._addresses[service]))
        try:
            return getattr(stub, method)(request, timeout=self._deadlines.get(method, self._deadline_s),
                                         wait_for_ready=True)
        except grpc.RpcError as error:
            raise backend_error(service, method, error) from None

    def ready(self, timeout_s: float = 2.0) -> dict[str, bool]:
        """Whether each backend answers SERVING to a standard health check (service "")."""
        checks = {}
        for service, address in self._addresses.items():
            stub = health_pb2_grpc.HealthStub(self._channel(address))
            checks[service] = stub.Check.future(health_pb2.HealthCheckRequest(service=""), timeout=timeout_s,
                                                wait_for_ready=True)
        return {service: _serving(future) for service, future in checks.items()}

    def close(self) -> None:
        """Close this process's channels."""
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels = {}


def _serving(future) -> bool:
    try:
        return future.result().status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False


def backend_error(service: str, method: str, error: grpc.RpcError) -> DomainError:
    """The catalogue error a failed call stands for: the backend's own key, else the closest one."""
    known = domain_error_of(error)
    if known is not None:
        return known
    code = error.code()
    log.warning("backend call failed", extra={"backend": service, "method": method,
                                             "grpc_code": code.name, "grpc_details": error.details()})
    if code in _UNREACHABLE and method == "SubmitInvoice":  # it may have registered before the call broke
        return DomainError(ErrorKey.REGISTRO, f"El servicio de registro no está disponible en este momento. "
                                              f"{REGISTRATION_IN_DOUBT}")
    if code in _UNREACHABLE:
        return DomainError(_UNREACHABLE_KEY[service], f"El servicio {_LABELS[service]} no está disponible en este "
                                                      "momento; inténtelo de nuevo en unos minutos.")
    if code in _NOT_YOURS:
        return DomainError(ErrorKey.FACTURA_INVALIDA)
    return DomainError(ErrorKey.REGISTRO)

"""gRPC channels to the registry, status and cancellation services, opened per worker process."""
from __future__ import annotations

import os
import threading
from typing import Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ventanilla.adapters.grpc_server import RECONNECT_OPTIONS, balancing

OpenChannel = Callable[..., grpc.Channel]


class Channels:
    """One lazily opened channel per backend and process (never one inherited across fork()), and its stubs."""

    def __init__(self, addresses: dict[str, str], max_message_bytes: int,
                 open_channel: OpenChannel = grpc.insecure_channel, lb_policy: str = "pick_first"):
        self._addresses = addresses
        self._options = [("grpc.max_send_message_length", max_message_bytes),
                         ("grpc.max_receive_message_length", max_message_bytes), *RECONNECT_OPTIONS,
                         *balancing(lb_policy)]
        self._open_channel = open_channel
        self._lock = threading.Lock()
        self._pid = None
        self._channels: dict[str, grpc.Channel] = {}
        self._stubs: dict[tuple[str, type], object] = {}

    def stub(self, backend: str, stub_class: type):
        """This process's stub_class over the backend's channel."""
        with self._lock:
            if self._pid != os.getpid():  # after a fork: new channels
                self._pid, self._channels, self._stubs = os.getpid(), {}, {}
            stub = self._stubs.get((backend, stub_class))
            if stub is None:
                address = self._addresses[backend]
                if address not in self._channels:
                    self._channels[address] = self._open_channel(address, options=self._options)
                stub = self._stubs[backend, stub_class] = stub_class(self._channels[address])
            return stub

    def ready(self, timeout_s: float = 2.0) -> dict[str, bool]:
        """Whether each backend answers SERVING to a standard health check (service "")."""
        checks = {backend: self.stub(backend, health_pb2_grpc.HealthStub).Check.future(
                      health_pb2.HealthCheckRequest(service=""), timeout=timeout_s, wait_for_ready=True)
                  for backend in self._addresses}
        return {backend: _serving(future) for backend, future in checks.items()}

    def close(self) -> None:
        """Close this process's channels."""
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels, self._stubs = {}, {}


def _serving(future) -> bool:
    try:
        return future.result().status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False

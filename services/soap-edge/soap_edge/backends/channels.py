"""gRPC channels to the registry, status and cancellation services, opened per worker process."""
from __future__ import annotations

import itertools
import os
import threading
from typing import Callable, Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ventanilla.adapters.grpc_server import RECONNECT_OPTIONS, balancing

OpenChannel = Callable[..., grpc.Channel]


# Each channel keeps its own connections: channels with equal arguments would otherwise share one subchannel
# (gRPC's global subchannel pool), i.e. one HTTP/2 connection, i.e. one of the processes sharing a port.
OWN_CONNECTION = ("grpc.use_local_subchannel_pool", 1)


class Channels:
    """Lazily opened channels per backend and process (never one inherited across fork()), and their stubs;
    a backend given several channels (`spread`) has calls round-robin over them, one connection each."""

    def __init__(self, addresses: dict[str, str], max_message_bytes: int,
                 open_channel: OpenChannel = grpc.insecure_channel, lb_policy: str = "pick_first",
                 spread: Mapping[str, int] | None = None):
        self._addresses = addresses
        self._spread = dict(spread or {})
        self._options = [("grpc.max_send_message_length", max_message_bytes),
                         ("grpc.max_receive_message_length", max_message_bytes), *RECONNECT_OPTIONS,
                         *balancing(lb_policy)]
        self._open_channel = open_channel
        self._lock = threading.Lock()
        self._pid = None
        self._channels: dict[tuple[str, int], grpc.Channel] = {}
        self._stubs: dict[tuple[str, type], tuple[list, itertools.count]] = {}

    def stub(self, backend: str, stub_class: type):
        """This process's stub_class over the backend's channel (the next of its channels, when several)."""
        with self._lock:
            if self._pid != os.getpid():  # after a fork: new channels
                self._pid, self._channels, self._stubs = os.getpid(), {}, {}
            stubs = self._stubs.get((backend, stub_class))
            if stubs is None:
                stubs = self._stubs[backend, stub_class] = (
                    [stub_class(self._channel(backend, i)) for i in range(self._spread.get(backend, 1))],
                    itertools.count())
            return stubs[0][next(stubs[1]) % len(stubs[0])]

    def _channel(self, backend: str, index: int) -> grpc.Channel:
        address = self._addresses[backend]
        if (address, index) not in self._channels:
            options = self._options + [OWN_CONNECTION] if self._spread.get(backend, 1) > 1 else self._options
            self._channels[address, index] = self._open_channel(address, options=options)
        return self._channels[address, index]

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

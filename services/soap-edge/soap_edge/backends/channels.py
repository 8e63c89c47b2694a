"""gRPC channels to the registry, status and cancellation services, opened per worker process."""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ventanilla.adapters.grpc_server import RECONNECT_OPTIONS, balancing

from soap_edge.backends.picking import LeastCost

OpenChannel = Callable[..., grpc.Channel]


# Each channel keeps its own connections: channels with equal arguments would otherwise share one subchannel
# (gRPC's global subchannel pool), i.e. one HTTP/2 connection, i.e. one of the processes sharing a port.
OWN_CONNECTION = ("grpc.use_local_subchannel_pool", 1)


class Channels:
    """Lazily opened channels per backend and process (never one inherited across fork()), and their stubs;
    a backend given several channels (`spread`), one connection each, has each call go to the cheapest of them
    (soap_edge.backends.picking: the connections land on different server processes, some busier)."""

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
        self._stubs: dict[tuple[str, type], list] = {}
        self._pickers: dict[str, LeastCost] = {}

    def stub(self, backend: str, stub_class: type):
        """This process's stub_class over the backend's (first) channel: for a call whose end is not awaited here
        (a future); `picked` spreads calls over a backend's channels."""
        return self._stubs_of(backend, stub_class)[0][0]

    @contextmanager
    def picked(self, backend: str, stub_class: type) -> Iterator:
        """This process's stub_class for one call over the cheapest of the backend's channels, the call counted on
        it until the block ends (its latency then measured)."""
        stubs, picker = self._stubs_of(backend, stub_class)
        if picker is None:
            yield stubs[0]
            return
        index, started = picker.pick()
        try:
            yield stubs[index]
        finally:
            picker.done(index, started)

    def _stubs_of(self, backend: str, stub_class: type) -> tuple[list, LeastCost | None]:
        with self._lock:
            if self._pid != os.getpid():  # after a fork: new channels
                self._pid, self._channels, self._stubs, self._pickers = os.getpid(), {}, {}, {}
            count = self._spread.get(backend, 1)
            stubs = self._stubs.get((backend, stub_class))
            if stubs is None:
                stubs = self._stubs[backend, stub_class] = [stub_class(self._channel(backend, i)) for i in range(count)]
            if count > 1 and backend not in self._pickers:
                self._pickers[backend] = LeastCost(count)
            return stubs, self._pickers.get(backend)

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
            self._channels, self._stubs, self._pickers = {}, {}, {}


def _serving(future) -> bool:
    try:
        return future.result().status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False

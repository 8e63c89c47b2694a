"""Metrics that libraries and collectors create for us, listed so dashboards and rules can be checked against them."""
from __future__ import annotations

from ventanilla.observability.spec import GRPC_CLIENTS, GRPC_SERVERS, PROCESSES, REGISTRY, STATUS, Kind, MetricSpec

_C, _G, _H = Kind.COUNTER, Kind.GAUGE, Kind.HISTOGRAM
SERVER_INTERCEPTOR = "ventanilla.observability.grpc_metrics.MeteredServerCalls"  # py-grpc-prometheus's names
CLIENT_INTERCEPTOR = "ventanilla.observability.grpc_metrics.MeteredClientCalls"  # py-grpc-prometheus's names
PROCESS_COLLECTOR = "prometheus-client ProcessCollector"
DISK_COLLECTOR = "ventanilla.observability.collectors.VolumeCollector"

_CALL = ("grpc_type", "grpc_service", "grpc_method")
_ENDED = _CALL + ("grpc_code",)


def _server(key: str, name: str, kind: Kind, help_: str, labels=_CALL) -> MetricSpec:
    return MetricSpec(key, name, kind, help_, labels, GRPC_SERVERS, made_by=SERVER_INTERCEPTOR)


def _client(key: str, name: str, kind: Kind, help_: str, labels=_CALL) -> MetricSpec:
    return MetricSpec(key, name, kind, help_, labels, GRPC_CLIENTS, made_by=CLIENT_INTERCEPTOR)


def _process(key: str, name: str, kind: Kind, help_: str) -> MetricSpec:
    return MetricSpec(key, name, kind, help_, (), PROCESSES, made_by=PROCESS_COLLECTOR)


# What gRPC calls show on each side (unary methods only: no stream message counters, no legacy names); the client
# keeps no started_total: its calls are synchronous, so it would equal handled_total (one write a call saved)
CLIENT_SPECS: tuple[MetricSpec, ...] = (
    _client("grpc_client_handled", "grpc_client_handled_total", _C, "RPCs completed on the client, by code.",
            _ENDED),
    _client("grpc_client_handling", "grpc_client_handling_seconds", _H,
            "Client-side latency of RPCs, until the answer is back."),
)

SPECS: tuple[MetricSpec, ...] = CLIENT_SPECS + (
    _server("grpc_server_started", "grpc_server_started_total", _C, "RPCs started on the server."),
    _server("grpc_server_handled", "grpc_server_handled_total", _C, "RPCs completed on the server, by code.",
            _ENDED),
    _server("grpc_server_handling", "grpc_server_handling_seconds", _H, "Server-side latency of RPCs."),
    _process("process_cpu", "process_cpu_seconds_total", _C, "User and system CPU time spent."),
    _process("process_rss", "process_resident_memory_bytes", _G, "Resident memory size."),
    _process("process_vms", "process_virtual_memory_bytes", _G, "Virtual memory size."),
    _process("process_open_fds", "process_open_fds", _G, "Open file descriptors."),
    _process("process_max_fds", "process_max_fds", _G, "Maximum number of open file descriptors."),
    _process("process_start_time", "process_start_time_seconds", _G, "Start time since the Unix epoch."),
    MetricSpec("volume_free", "ventanilla_volume_free_bytes", _G, "Bytes available to Ventanilla on a state volume.",
               ("volume",), (REGISTRY, STATUS), unit="bytes", made_by=DISK_COLLECTOR),
    MetricSpec("volume_size", "ventanilla_volume_size_bytes", _G, "Size of a state volume.",
               ("volume",), (REGISTRY, STATUS), unit="bytes", made_by=DISK_COLLECTOR),
)

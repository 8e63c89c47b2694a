"""What one metric is: name, kind, unit, labels, buckets and the processes that export it."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

EDGE, REGISTRY, STATUS, CANCELLATION, PORTAL = "soap-edge", "registry", "status", "cancellation", "portal"
GATEWAY = "backoffice-gateway"
PROCESSES = (EDGE, REGISTRY, STATUS, CANCELLATION, PORTAL, GATEWAY)
GRPC_SERVERS = (REGISTRY, STATUS, CANCELLATION, GATEWAY)
GRPC_CLIENTS = (EDGE, CANCELLATION, GATEWAY)

# Bucket boundaries (seconds, bytes). 1 s and 5 s are SLO thresholds (docs/operations.md): keep them.
REQUEST_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
STAGE_SECONDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)
BODY_BYTES = tuple(float(2 ** n * 1024) for n in range(0, 15, 2))  # 1 KiB .. 16 MiB
GROUP_ITEMS = (1, 10, 50, 100, 250, 500)


class Kind(Enum):
    """The Prometheus metric types the catalogue uses."""

    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class MetricSpec:
    """One metric of the catalogue; `key` is its attribute on a Metrics object.

    `made_by` names the library or collector that creates it when Ventanilla's code does not
    (py-grpc-prometheus, prometheus-client's process collector, our collectors); such metrics are
    listed so that dashboards and rules can be checked against them, and are never created twice.
    """

    key: str
    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()
    processes: tuple[str, ...] = PROCESSES
    buckets: tuple[float, ...] = ()
    unit: str = ""
    made_by: str = ""
    gauge_mode: str = "livesum"  # how a multi-process (gunicorn) gauge adds up across workers

    @property
    def series_names(self) -> tuple[str, ...]:
        """The sample names a scrape shows for this metric (histograms: _bucket, _sum, _count)."""
        if self.kind is Kind.HISTOGRAM:
            return tuple(f"{self.name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
        return (self.name,)

"""Collectors read at scrape time: a process tree's CPU/RSS/files (gunicorn), state volumes' free space."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Mapping

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

_SUMMED = {"process_cpu_seconds", "process_resident_memory_bytes", "process_virtual_memory_bytes",
           "process_open_fds"}


def children(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Pids whose parent is pid (gunicorn's workers, for its master)."""
    found = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class ProcessTreeCollector(Collector):
    """The process_* metrics of prometheus-client's ProcessCollector, summed over a process and its children.

    For the edge: gunicorn's master and workers are one service to an operator, and prometheus-client's
    multi-process mode leaves process metrics out. CPU, memory and open files add up; limits and start
    time are the master's.
    """

    def __init__(self, pid: Callable[[], int] = os.getpid):
        self._pid = pid

    def collect(self) -> Iterable[Metric]:
        root = self._pid()
        per_process = [list(ProcessCollector(pid=lambda p=p: p, registry=None).collect())
                       for p in [root, *children(root)]]
        totals: dict[str, Metric] = {}
        for families in per_process:
            for family in families:
                if family.name not in totals:
                    totals[family.name] = family
                elif family.name in _SUMMED:
                    kept = totals[family.name]
                    kept.samples[0] = kept.samples[0]._replace(value=kept.samples[0].value + family.samples[0].value)
        return list(totals.values())


class VolumeCollector(Collector):
    """ventanilla_volume_free_bytes / _size_bytes of named state directories (blobs, projection, claims)."""

    def __init__(self, volumes: Mapping[str, Path]):
        self._volumes = dict(volumes)

    def collect(self) -> Iterable[Metric]:
        free = GaugeMetricFamily("ventanilla_volume_free_bytes", "Bytes available to Ventanilla on a state volume.",
                                 labels=["volume"])
        size = GaugeMetricFamily("ventanilla_volume_size_bytes", "Size of a state volume.", labels=["volume"])
        for volume, path in self._volumes.items():
            try:
                stats = os.statvfs(path)
            except OSError:
                continue
            free.add_metric([volume], stats.f_bavail * stats.f_frsize)
            size.add_metric([volume], stats.f_blocks * stats.f_frsize)
        return [free, size]

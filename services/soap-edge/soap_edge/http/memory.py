"""Bounded malloc arenas for the edge worker, so memory freed by one thread serves the next large body."""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("soap_edge.memory")

M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def limit_malloc_arenas(count: int) -> bool:
    """Cap glibc's malloc arenas at count; False (and nothing changed) on a C library without mallopt.

    glibc gives each thread its own arena (up to 8 per core) and keeps what a thread freed in that
    thread's arena: eight gthread threads that each once parsed a 7 MB body hold eight bodies' worth of
    memory however few of them run at once. Must run before the worker's threads start.
    """
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    if mallopt is None or mallopt(M_ARENA_MAX, count) != 1:
        log.warning("malloc arenas left unbounded", extra={"arenas": count})
        return False
    return True

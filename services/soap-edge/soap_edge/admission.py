"""At most N large request bodies in process at once per worker: many concurrent uploads cannot exhaust memory."""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator, Mapping

from ventanilla.domain.errors import DomainError, ErrorKey

LARGE_BYTES = 1024 * 1024  # a body over this (or of unknown length) needs a slot


class Busy(DomainError):
    """The refusal when no slot frees up in time: facturae.error.registro, a server fault (try again)."""

    def __init__(self):
        super().__init__(ErrorKey.REGISTRO, "El servicio está atendiendo demasiados envíos grandes a la vez; "
                                            "inténtelo de nuevo en unos segundos.")


class LargeBodies:
    """A semaphore around large requests; small ones (queries) never wait."""

    def __init__(self, slots: int, wait_s: float):
        self._slots = threading.BoundedSemaphore(slots)
        self._wait_s = wait_s

    @contextmanager
    def admit(self, environ: Mapping) -> Iterator[None]:
        """Hold a slot while a large request is read and processed; Busy when none frees in time."""
        raw = (environ.get("CONTENT_LENGTH") or "").strip()
        if raw.isdigit() and int(raw) <= LARGE_BYTES:
            yield
            return
        if not self._slots.acquire(timeout=self._wait_s):
            raise Busy()
        try:
            yield
        finally:
            gc.collect()  # spyne's contexts are cyclic and hold the body, its tree and the decoded invoice
            self._slots.release()

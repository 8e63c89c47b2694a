"""What the front accepts as a SOAP request body: content type and size, read with bounded memory.

Large bodies under a memory budget per worker: each reserves what it costs in process (measured, below) while it is
read and processed, so many concurrent uploads cannot exhaust memory, yet run side by side while the budget allows;
and a full collection after each (docs/benchmarks.md, "A burst of large uploads", "Write path (issue 15)").
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator, Mapping

from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.soap.mtom import content_type

_XML = {"text/xml", "application/xml"}
_XOP = {"application/xop+xml", "text/xml"}
_CHUNK = 64 * 1024
LARGE_BYTES = 1024 * 1024  # a body over this (or of unknown length) reserves its memory first
# What a body costs in process, in multiples of its length (docs/benchmarks.md, "Write path (issue 15)"): MTOM, the
# body and a few 256 KB parts on their way to the registry (measured 1.0-1.1x); inline base64, at most the body, the
# text in the lxml tree, spyne's str of it and the decoded bytes (an upper bound: 12 concurrent 7.3 MB envelopes
# measured 195 MB over idle, 2.2x each).
COST_MTOM, COST_INLINE = 2, 4


def check_content_type(value: str) -> None:
    """Refuse a request Content-Type other than SOAP 1.1 text/xml or MTOM multipart/related."""
    media, params = content_type(value)
    if media in _XML or (media == "multipart/related" and params.get("type", "").lower() in _XOP):
        return
    raise DomainError(ErrorKey.XML, f"Tipo de contenido no admitido: «{(value or '')[:80]}». Use text/xml "
                                    "(SOAP 1.1) o multipart/related; type=\"application/xop+xml\" (MTOM).")


class Busy(DomainError):
    """The refusal when the budget does not free up in time: facturae.error.registro, a server fault (try again)."""

    def __init__(self):
        super().__init__(ErrorKey.REGISTRO, "El servicio está atendiendo demasiados envíos grandes a la vez; "
                                            "inténtelo de nuevo en unos segundos.")


class LargeBodies:
    """A memory budget (bytes) around large requests; small ones (queries) never wait.

    A large body reserves COST_MTOM (or COST_INLINE) x its declared length (x max_body_bytes when chunked), at most
    the whole budget, and waits while the reservations in process leave too little of it.
    """

    def __init__(self, budget_bytes: int, max_body_bytes: int, wait_s: float):
        self._budget, self._free = budget_bytes, budget_bytes
        self._max_body_bytes, self._wait_s = max_body_bytes, wait_s
        self._freed = threading.Condition()

    def cost(self, environ: Mapping, mtom: bool) -> int:
        """The bytes a request reserves: 0 for a small one."""
        raw = (environ.get("CONTENT_LENGTH") or "").strip()
        if raw.isdigit() and int(raw) <= LARGE_BYTES:
            return 0
        length = min(int(raw), self._max_body_bytes) if raw.isdigit() else self._max_body_bytes
        return min(self._budget, (COST_MTOM if mtom else COST_INLINE) * length)

    @contextmanager
    def admit(self, environ: Mapping, mtom: bool) -> Iterator[None]:
        """Hold the request's reservation while it is read and processed; Busy when it does not fit in time."""
        cost = self.cost(environ, mtom)
        if not cost:
            yield
            return
        with self._freed:
            if not self._freed.wait_for(lambda: self._free >= cost, timeout=self._wait_s):
                raise Busy()
            self._free -= cost
        try:
            yield
        finally:
            gc.collect()  # spyne's contexts are cyclic and hold the body, its tree and the decoded invoice
            with self._freed:
                self._free += cost
                self._freed.notify_all()


class TooLarge(DomainError):
    """The refusal of a body over the size limit: facturae.error.xml, a client fault (docs/security.md)."""

    def __init__(self, limit: int):
        super().__init__(ErrorKey.XML, f"El mensaje supera el tamaño máximo admitido ({limit} bytes). Envíe la "
                                       "factura y sus anexos como partes MTOM, que evitan el tercio de más de base64.")


class Unreadable(DomainError):
    """The refusal of a body that could not be read: a broken chunked encoding, a client that stopped sending."""

    def __init__(self, error: Exception):
        super().__init__(ErrorKey.XML, f"No se ha podido leer el cuerpo de la petición ({type(error).__name__}).")


def declared_length(environ: Mapping) -> int | None:
    """The request's Content-Length, None when absent (chunked)."""
    raw = (environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise DomainError(ErrorKey.XML, "Cabecera Content-Length no válida.")
    return int(raw)


def read_body(environ: Mapping, limit: int) -> bytes | bytearray:
    """The whole request body; refused (TooLarge) as soon as it is known to exceed limit bytes.

    With a Content-Length the body is read into one buffer of that size (no second whole-body copy).
    A refused body is still read and discarded up to 2 x limit, so that clients which send the whole
    body before reading the answer get the fault instead of a broken connection.
    """
    length, stream = declared_length(environ), _Guarded(environ["wsgi.input"])
    if length is not None and length > limit:
        _discard(stream, length if length <= 2 * limit else 0)
        raise TooLarge(limit)
    if length is not None:
        return _read_exactly(stream, length)
    chunks, size = [], 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            _discard(stream, limit)
            raise TooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class _Guarded:
    """The request stream, its transport errors (gunicorn's chunk errors, timeouts, resets) as Unreadable."""

    def __init__(self, stream):
        self._stream = stream

    def read(self, size: int) -> bytes:
        try:
            return self._stream.read(size)
        except DomainError:
            raise
        except Exception as error:  # noqa: BLE001 - whatever the server's reader raises, the body is unusable
            raise Unreadable(error) from None


def _read_exactly(stream, length: int) -> bytearray:
    """length bytes into one preallocated buffer (fewer if the client stops sending early)."""
    body, size = bytearray(length), 0
    view = memoryview(body)
    while size < length:
        chunk = stream.read(min(_CHUNK, length - size))
        if not chunk:
            break
        view[size:size + len(chunk)] = chunk
        size += len(chunk)
    view.release()
    if size < length:
        del body[size:]
    return body


def _discard(stream, count: int) -> None:
    while count > 0:
        chunk = stream.read(min(_CHUNK, count))
        if not chunk:
            return
        count -= len(chunk)

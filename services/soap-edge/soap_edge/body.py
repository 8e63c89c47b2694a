"""What the front accepts as a SOAP request body: content type and size, read with bounded memory."""
from __future__ import annotations

from typing import Mapping

from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.mtom import content_type

_XML = {"text/xml", "application/xml"}
_XOP = {"application/xop+xml", "text/xml"}
_CHUNK = 64 * 1024


def content_type_error(value: str) -> DomainError | None:
    """Why a request Content-Type is refused (None: SOAP 1.1 text/xml or MTOM multipart/related)."""
    media, params = content_type(value)
    if media in _XML or (media == "multipart/related" and params.get("type", "").lower() in _XOP):
        return None
    return DomainError(ErrorKey.XML, f"Tipo de contenido no admitido: «{(value or '')[:80]}». Use text/xml "
                                     "(SOAP 1.1) o multipart/related; type=\"application/xop+xml\" (MTOM).")


class TooLarge(DomainError):
    """The refusal of a body over the size limit."""

    def __init__(self, limit: int):
        super().__init__(ErrorKey.XML, f"El mensaje supera el tamaño máximo admitido ({limit} bytes).")


def declared_length(environ: Mapping) -> int | None:
    """The request's Content-Length, None when absent (chunked)."""
    raw = (environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise DomainError(ErrorKey.XML, "Cabecera Content-Length no válida.")
    return int(raw)


def read_body(environ: Mapping, limit: int) -> bytes:
    """The whole request body; refused (TooLarge) as soon as it is known to exceed limit bytes.

    A refused body is still read and discarded up to 2 x limit, so that clients which send the whole
    body before reading the answer get the fault instead of a broken connection.
    """
    length, stream = declared_length(environ), environ["wsgi.input"]
    if length is not None and length > limit:
        _discard(stream, length if length <= 2 * limit else 0)
        raise TooLarge(limit)
    chunks, size = [], 0
    while length is None or size < length:
        chunk = stream.read(_CHUNK if length is None else min(_CHUNK, length - size))
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            _discard(stream, limit if length is None else length - size)
            raise TooLarge(limit)
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _discard(stream, count: int) -> None:
    while count > 0:
        chunk = stream.read(min(_CHUNK, count))
        if not chunk:
            return
        count -= len(chunk)

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

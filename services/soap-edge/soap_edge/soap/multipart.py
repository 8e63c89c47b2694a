"""multipart/related bodies split into parts without copying, with limits on part count and header size."""
from __future__ import annotations

import binascii
import quopri

from ventanilla.domain.errors import DomainError, ErrorKey

MAX_HEADER_BYTES = 16 * 1024  # one MIME part's header block
MAX_PARTS = 64                # root part included


def _bad(detail: str) -> DomainError:
    return DomainError(ErrorKey.XML, detail)


def decoded(headers: dict, data: memoryview):
    """A part's content after its Content-Transfer-Encoding (binary: the view itself)."""
    encoding = headers.get("content-transfer-encoding", "binary").strip().lower()
    if encoding == "base64":
        try:
            return binascii.a2b_base64(data)
        except binascii.Error:
            raise _bad("Parte MIME con Content-Transfer-Encoding base64 no válido.") from None
    if encoding == "quoted-printable":
        return quopri.decodestring(bytes(data))
    return data


def split(body: bytes, boundary: bytes) -> list[tuple[dict, memoryview]]:
    """The (headers, content) of each body part; contents are views of body, not copies."""
    delimiter, view, parts = b"--" + boundary, memoryview(body), []
    position = body.find(delimiter)
    if position < 0:
        raise _bad("Mensaje multipart/related sin ninguna parte con el boundary indicado.")
    while True:
        position += len(delimiter)
        if body.startswith(b"--", position):
            return parts
        head_start = body.find(b"\n", position) + 1
        if head_start == 0:
            raise _bad("Mensaje multipart/related incompleto.")
        head_end, data_start = _header_end(body, head_start)
        if body.startswith(delimiter, data_start):  # an empty part, no CRLF before the delimiter
            data_end = position = data_start
        else:
            next_line = body.find(b"\n" + delimiter, data_start)
            if next_line < 0:
                raise _bad("Mensaje multipart/related incompleto: falta el delimitador final.")
            data_end = next_line - 1 if next_line > data_start and body[next_line - 1] == 13 else next_line
            position = next_line + 1
        parts.append((_headers(body[head_start:head_end]), view[data_start:data_end]))
        if len(parts) > MAX_PARTS:
            raise _bad(f"El mensaje MTOM tiene más de {MAX_PARTS} partes.")


def _header_end(body: bytes, start: int) -> tuple[int, int]:
    for blank in (b"\r\n", b"\n"):
        if body.startswith(blank, start):
            return start, start + len(blank)
    ends = [(i, i + len(s)) for s in (b"\r\n\r\n", b"\n\n") if (i := body.find(s, start, start + MAX_HEADER_BYTES)) >= 0]
    if not ends:
        raise _bad("Parte MIME sin fin de cabeceras.")
    return min(ends)


def _headers(block: bytes) -> dict[str, str]:
    headers = {}
    for line in block.decode("latin-1").replace("\r\n", "\n").replace("\n ", " ").replace("\n\t", " ").split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers

"""Attachments (anexos): a name, content, PDF or HTML judged by content, within count and size limits."""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from ventanilla.domain.errors import DomainError, ErrorKey

# WHATWG MIME Sniffing, "rules for identifying an unknown MIME type": the HTML patterns (tag
# name followed by a space or ">"), after leading whitespace; PDF is the "%PDF-" signature.
_HTML_START = re.compile(
    rb"(?:<!doctype html|<html|<head|<script|<iframe|<h1|<div|<font|<table|<a|<style|<title|<b|<body|<br|<p|<!--)"
    rb"[ \t\n\f\r>]", re.IGNORECASE)
_WHITESPACE = b" \t\n\f\r"


@dataclass(frozen=True)
class Upload:
    """One attachment as uploaded: its name and bytes."""

    name: str
    content: bytes


@dataclass(frozen=True)
class AttachmentLimits:
    """How many attachments one submission may carry, and how large each may be."""

    max_count: int = 10
    max_bytes: int = 5 * 1024 * 1024


def sniff(content: bytes) -> str | None:
    """application/pdf or text/html when the bytes are one of those, else None (names are not read)."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    head = content[:1024].removeprefix(codecs.BOM_UTF8)
    if _HTML_START.match(head.lstrip(_WHITESPACE)):
        return "text/html"
    return None


def check_attachments(uploads: list[Upload], limits: AttachmentLimits) -> list[str]:
    """The media type of each attachment, refusing nameless, empty, oversized, too many or other types."""
    if len(uploads) > limits.max_count:
        raise DomainError(ErrorKey.XML, f"Un envío admite como máximo {limits.max_count} anexos; hay {len(uploads)}.")
    media_types = []
    for upload in uploads:
        if not upload.name.strip():
            raise DomainError(ErrorKey.ANEXO_SIN_NOMBRE)
        if not upload.content:
            raise DomainError(ErrorKey.ANEXO_SIN_CONTENIDO, f"El anexo «{upload.name[:80]}» está vacío.")
        if len(upload.content) > limits.max_bytes:
            raise DomainError(ErrorKey.XML, f"El anexo «{upload.name[:80]}» supera el tamaño máximo de "
                                            f"{limits.max_bytes} bytes.")
        media_type = sniff(upload.content)
        if media_type is None:
            detail = f"{ErrorKey.MIME_NOT_ALLOWED.description} El contenido del anexo «{upload.name[:80]}» no es PDF ni HTML."
            raise DomainError(ErrorKey.MIME_NOT_ALLOWED, detail)
        media_types.append(media_type)
    return media_types

"""Attachments judged by content, names and sizes; never by the file name."""
from __future__ import annotations

import pytest

from registry_service.attachments import AttachmentLimits, Upload, check_attachments, sniff
from ventanilla.domain.errors import DomainError, ErrorKey

LIMITS = AttachmentLimits(max_count=2, max_bytes=64)


@pytest.mark.parametrize(("content", "media_type"), [
    (b"%PDF-1.7\n...", "application/pdf"),
    (b"<!DOCTYPE html><html>", "text/html"),
    (b"\xef\xbb\xbf  \n<HTML lang=es>", "text/html"),
    (b"<p>hola</p>", "text/html"),
    (b"<!-- c --><div>", "text/html"),
    (b"<?xml version='1.0'?><Facturae/>", None),
    (b"<pdf>", None),
    (b"GIF89a", None),
    (b"PK\x03\x04", None),
    (b"  %PDF-1.4", None),
])
def test_sniffing(content, media_type):
    assert sniff(content) == media_type


@pytest.mark.parametrize(("uploads", "key"), [
    ([Upload(" ", b"%PDF-1.4")], ErrorKey.ANEXO_SIN_NOMBRE),
    ([Upload("a.pdf", b"")], ErrorKey.ANEXO_SIN_CONTENIDO),
    ([Upload("a.pdf", b"MZ\x90\x00 an executable")], ErrorKey.MIME_NOT_ALLOWED),
    ([Upload("a.pdf", b"%PDF-" + b"x" * 64)], ErrorKey.XML),
    ([Upload("a.pdf", b"%PDF-")] * 3, ErrorKey.XML),
])
def test_refusals(uploads, key):
    with pytest.raises(DomainError) as caught:
        check_attachments(uploads, LIMITS)
    assert caught.value.key is key


def test_names_do_not_matter():
    assert check_attachments([Upload("foto.jpg", b"%PDF-1.4"), Upload("x", b"<html>")], LIMITS) == [
        "application/pdf", "text/html"]

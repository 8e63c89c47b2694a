"""Typed readers of Facturae leaf elements; a bad value is refused as facturae.error.xml."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import NoReturn

from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey

_XSD_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?", re.ASCII)
_XSD_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_XSD_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)


def text(parent: etree._Element, path: str) -> str | None:
    """Return the stripped text at path, or None when the element is absent or empty."""
    return (parent.findtext(path) or "").strip() or None


def required_text(parent: etree._Element, path: str) -> str:
    """Return the text at path, refusing the document when it is missing."""
    value = text(parent, path)
    if value is None:
        raise DomainError(ErrorKey.XML, f"Falta el elemento obligatorio {path}.")
    return value


def optional_date(parent: etree._Element, path: str) -> date | None:
    """Return the xs:date at path (any timezone suffix dropped), or None when absent."""
    value = text(parent, path)
    if value is None:
        return None
    match = _XSD_DATE.fullmatch(value)
    if match:
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            pass
    return _invalid(path, value)


def required_decimal(parent: etree._Element, path: str) -> Decimal:
    """Return the xs:decimal at path, refusing the document when missing or malformed."""
    value = required_text(parent, path)
    return Decimal(value) if _XSD_DECIMAL.fullmatch(value) else _invalid(path, value)


def optional_integer(parent: etree._Element, path: str) -> int | None:
    """Return the xs:integer at path, or None when absent."""
    value = text(parent, path)
    if value is None:
        return None
    return int(value) if _XSD_INTEGER.fullmatch(value) else _invalid(path, value)


def timestamp(element: etree._Element) -> datetime:
    """Return an xs:dateTime element as an aware datetime; a naive value is taken as UTC."""
    value = (element.text or "").strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _invalid(etree.QName(element).localname, value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _invalid(path: str, value: str) -> NoReturn:
    """Refuse a document whose element at path holds an unusable value."""
    raise DomainError(ErrorKey.XML, f"El valor '{value[:40]}' de {path} no es válido.")

"""`ejercicio`: the WSDL's integer year or the 2015 Date form; a date's time part is ignored."""
from __future__ import annotations

import re
from datetime import date

from ventanilla.domain.errors import DomainError, ErrorKey

_EJERCICIO = re.compile(
    r"(\d{4})(?:[-/](\d{2})[-/](\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)


def parse_ejercicio(raw: str | None) -> tuple[int, str]:
    """(year, ISO date or "") of an ejercicio such as 2014, 2014-06-18 or 2014/06/18T10:00:00."""
    text = (raw or "").strip()
    match = _EJERCICIO.fullmatch(text)
    if match is None:
        raise _invalid(text)
    year, month, day = match.groups()
    try:
        if month is None:
            if int(year) < 1:
                raise ValueError(year)
            return int(year), ""
        issued = date(int(year), int(month), int(day))
    except ValueError:
        raise _invalid(text) from None
    return issued.year, issued.isoformat()


def _invalid(text: str) -> DomainError:
    return DomainError(
        ErrorKey.XML,
        f"El ejercicio «{text[:40]}» no es válido: indique un año (2014) o una fecha (2014-06-18 o 2014/06/18).",
    )

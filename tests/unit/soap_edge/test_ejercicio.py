"""ejercicio: the WSDL's integer year and the 2015 Date form, both spellings, time ignored."""
from __future__ import annotations

import re

import pytest

from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.soap.contract import EJERCICIO_PATTERN
from soap_edge.soap.ejercicio import parse_ejercicio


@pytest.mark.parametrize("raw, expected", [
    ("2014", (2014, "")),
    (" 2015 ", (2015, "")),
    ("2014-06-18", (2014, "2014-06-18")),
    ("2014/06/18", (2014, "2014-06-18")),
    ("2015/06/29T10:11:12", (2015, "2015-06-29")),
    ("2014-06-18T00:00:00+01:00", (2014, "2014-06-18")),
    ("2014-06-18T23:59:59.123Z", (2014, "2014-06-18")),
    ("2014-06-18 10:00", (2014, "2014-06-18")),
    ("2014-06-18+02:00", (2014, "2014-06-18")),   # an xs:date with its timezone
    ("2014-06-18Z", (2014, "2014-06-18")),
])
def test_accepted_forms(raw, expected):
    assert parse_ejercicio(raw) == expected
    assert re.fullmatch(EJERCICIO_PATTERN, raw), "the schema must accept what the parser accepts"


@pytest.mark.parametrize("raw", ["", None, "14", "20145", "2014-13-01", "2014-02-30", "0000", "2014-6-18",
                                 "2014.06.18", "abcd", "2014-06-18Tnoon", "٢٠١٤"])
def test_refused_forms_are_client_faults(raw):
    with pytest.raises(DomainError) as caught:
        parse_ejercicio(raw)
    assert caught.value.key is ErrorKey.XML
    assert caught.value.key.side.value == "Client"

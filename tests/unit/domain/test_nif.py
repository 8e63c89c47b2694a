"""Spanish tax identifiers: check characters of DNI, NIE, K/L/M and CIF; who may submit."""
from __future__ import annotations

import pytest

from ventanilla.domain import nif
from ventanilla.domain.access import check_submitter
from ventanilla.domain.errors import DomainError, ErrorKey


@pytest.mark.parametrize("value", [
    "99999999R", "12345678Z", "00000000T",       # DNI
    "X1234567L", "Y0000000Z", "Z9999999H",       # NIE
    "K1234567L", "L1234567L", "M1234567L",       # K/L/M NIF
    "B23103039", "B12345674", "A58818501",       # CIF with a digit (A, B: always a digit)
    "Q8550003A", "S2800000H", "P2807900B",       # CIF with a letter (P, Q, S: always a letter)
    "G12345674", "G1234567D",                    # G: either
])
def test_valid_identifiers(value):
    assert nif.is_valid(value)


@pytest.mark.parametrize("value", [
    "99999999A", "12345678X", "X1234567A", "B12345678", "B1234567D", "Q8550003", "Q85500031",
    "P2807900C", "I1234567L", "", "999999999", "ABCDEFGHI", "99999999R1", "ES99999999R", "9999999R",
])
def test_invalid_identifiers(value):
    assert not nif.is_valid(value)


def test_normalization_and_es_prefix():
    assert nif.valid_or_none(" 99.999.999-r ") == "99999999R"
    assert nif.valid_or_none("99999999A") is None
    assert nif.canonical("ESB23103039") == "B23103039" and nif.canonical("ES99999999R") == "99999999R"
    assert nif.same("esb23103039", "B23103039")
    assert not nif.same("", "") and not nif.same("B23103039", "B12345674")


@pytest.mark.parametrize("spelling", ["B35000017", "ESB35000017", "b35000017", "ES-B35000017", "B 35000017",
                                      "es.b35000017", " B-35.000.017 "])
def test_every_spelling_of_a_nif_has_one_canonical_form(spelling):
    assert nif.canonical(spelling) == "B35000017"
    assert nif.same(spelling, "ESB35000017")


@pytest.mark.parametrize(("raw", "kept"), [
    ("ES12345678X", "12345678X"),      # the shape decides: a mistyped check character has one form too
    ("FR40303265045", "FR40303265045"),  # a foreign VAT number
    ("ESP0000000", "ESP0000000"),      # ES, then no NIF
    ("ESA-58818501", "A58818501"),
    ("", ""),
])
def test_the_prefix_goes_only_before_a_nif(raw, kept):
    assert nif.canonical(raw) == kept


def test_the_supplier_and_registered_billers_may_submit():
    check_submitter("B23103039", "B23103039", frozenset())
    check_submitter("B23103039", "ESB23103039", frozenset())
    check_submitter("B12345674", "B23103039", frozenset({"B12345674"}))


def test_anyone_else_is_refused_with_the_access_key():
    with pytest.raises(DomainError) as refused:
        check_submitter("99999999R", "B23103039", frozenset({"B12345674"}))
    assert refused.value.key is ErrorKey.FACTURA_INVALIDA and "B23103039" in refused.value.detail
    with pytest.raises(DomainError) as anonymous:
        check_submitter("", "B23103039", frozenset({""}))
    assert anonymous.value.key is ErrorKey.CERTIFICADO_SIN_NIF


def test_an_integrator_submits_its_own_invoices_and_any_seller_only_with_third_party_services():
    from ventanilla.domain.access import check_integrator_submitter

    check_integrator_submitter("B23103039", False, "ESB23103039")
    check_integrator_submitter("B23103039", True, "A58818501")
    with pytest.raises(DomainError) as refused:
        check_integrator_submitter("B23103039", False, "A58818501")
    assert refused.value.key is ErrorKey.FACTURA_INVALIDA and "Servicios a terceros" in refused.value.detail

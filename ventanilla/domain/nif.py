"""Spanish tax identifiers (NIF: DNI, NIE, CIF, K/L/M): shape and check character, pure."""
from __future__ import annotations

import functools
import re

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_CIF_LETTERS = "JABCDEFGHI"
_PERSON = re.compile(r"^([0-9]{8}|[XYZKLM][0-9]{7})([A-Z])$")
_ENTITY = re.compile(r"^([ABCDEFGHJNPQRSUVW])([0-9]{7})([0-9A-J])$")
_LETTER_CONTROL = set("NPQRSW")  # entities whose control character is always a letter
_DIGIT_CONTROL = set("ABEH")     # entities whose control character is always a digit
_SEPARATORS = re.compile(r"[\s.\-/]")


def normalize(raw: str) -> str:
    """Upper case without spaces, dots, dashes or slashes (no validation)."""
    return _SEPARATORS.sub("", raw or "").upper()


def _person_ok(body: str, letter: str) -> bool:
    if body[0] in "XYZ":
        number = int(str("XYZ".index(body[0])) + body[1:])
    else:
        number = int(body.lstrip("KLM") or "0")
    return _DNI_LETTERS[number % 23] == letter


def _entity_ok(kind: str, digits: str, control: str) -> bool:
    odd = sum(sum(divmod(2 * int(d), 10)) for d in digits[0::2])
    even = sum(int(d) for d in digits[1::2])
    check = (10 - (odd + even) % 10) % 10
    if kind in _LETTER_CONTROL:
        return control == _CIF_LETTERS[check]
    if kind in _DIGIT_CONTROL:
        return control == str(check)
    return control in (str(check), _CIF_LETTERS[check])


def is_valid(nif: str) -> bool:
    """Whether a normalized identifier is a DNI, NIE, K/L/M NIF or CIF with the right check character."""
    if person := _PERSON.match(nif or ""):
        return _person_ok(*person.groups())
    if entity := _ENTITY.match(nif or ""):
        return _entity_ok(*entity.groups())
    return False


def valid_or_none(raw: str) -> str | None:
    """The normalized identifier when valid, else None."""
    nif = normalize(raw)
    return nif if is_valid(nif) else None


@functools.lru_cache(maxsize=4096)  # every access check compares NIFs: the few callers' forms are remembered
def canonical(raw: str) -> str:
    """The one form of a tax id for keys, lookups and access: upper case, no separators, no ES prefix.

    The ES prefix (as a VAT number writes a Spanish NIF) is dropped only when what follows has the
    shape of a NIF (a foreign id keeps it). The shape, not the check character, decides, so that a
    mistyped NIF still has one form; check characters are validated where an identity is established
    (client certificates: is_valid).
    """
    value = normalize(raw)
    rest = value[2:]
    return rest if value.startswith("ES") and (_PERSON.match(rest) or _ENTITY.match(rest)) else value


def same(a: str, b: str) -> bool:
    """Whether two non-empty identifiers name the same taxpayer (case, separators and ES prefix aside)."""
    return bool(canonical(a)) and canonical(a) == canonical(b)


PUBLIC_BODY_LETTERS = frozenset("PQS")  # CIF: P local corporations, Q public bodies, S state/regional organs


def is_public_body(nif: str) -> bool:
    """Whether a NIF belongs to a public body (a CIF starting with P, Q or S)."""
    value = normalize(nif)
    return is_valid(value) and value[:1] in PUBLIC_BODY_LETTERS

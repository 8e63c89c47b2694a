"""Compare two XML messages by element name, order and nesting only (values ignored), with explicit allowances."""
from __future__ import annotations

from lxml import etree


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _path(parent_path: str, element: etree._Element, siblings: list[etree._Element]) -> str:
    """Local names joined by '/', with a 1-based [n] where an element's name repeats among its siblings."""
    same = [s for s in siblings if s.tag == element.tag]
    index = f"[{same.index(element) + 1}]" if len(same) > 1 else ""
    return f"{parent_path}/{etree.QName(element).localname}{index}" if parent_path else etree.QName(element).localname


def differences(expected: etree._Element, actual: etree._Element, may_be_absent: frozenset[str] = frozenset(),
                may_be_extra: frozenset[str] = frozenset()) -> list[str]:
    """Every way actual's tree differs from expected's in names (with namespaces), order and nesting.

    may_be_absent: paths of expected elements actual may lack (with all they contain);
    may_be_extra: paths of actual elements the expected tree lacks. Paths are as `_path` writes them.
    """
    found: list[str] = []
    _compare(expected, actual, _path("", expected, [expected]), may_be_absent, may_be_extra, found)
    unused = {p for p in may_be_absent if not _exists(expected, p)} | {p for p in may_be_extra if not _exists(actual, p)}
    found += [f"{p}: allowance names no element of its tree (typo?)" for p in sorted(unused)]
    return found


def _compare(expected, actual, path, absent, extra, found) -> None:
    if expected.tag != actual.tag:
        found.append(f"{path}: expected {expected.tag}, found {actual.tag}")
        return
    wanted, got = _elements(expected), _elements(actual)
    position = 0
    for element in wanted:
        here = _path(path, element, wanted)
        while position < len(got) and got[position].tag != element.tag and _path(path, got[position], got) in extra:
            position += 1
        if position < len(got) and got[position].tag == element.tag:
            _compare(element, got[position], here, absent, extra, found)
            position += 1
        elif here not in absent:
            seen = got[position].tag if position < len(got) else "nothing"
            found.append(f"{here}: missing (found {seen} there)")
    for element in got[position:]:
        here = _path(path, element, got)
        if here not in extra:
            found.append(f"{here}: not in the expected message")


def _exists(root: etree._Element, path: str) -> bool:
    names = path.split("/")
    if names[0] != _path("", root, [root]):
        return False
    current = [root]
    for name in names[1:]:
        current = [c for parent in current for c in _elements(parent) if _path("x", c, _elements(parent))[2:] == name]
    return bool(current)

"""Hardened parsing of untrusted XML: no DTDs, no entities, no network, bounded size.

Every untrusted XML document in the project goes through `parse_untrusted`. A document
declaring a DOCTYPE is refused before libxml2 sees it, so entity tricks (XXE, billion
laughs) never run. A document whose bytes cannot hold more elements than allowed (fewer `<`
bytes than the element limit, in an encoding where every `<` is that byte) is parsed in one
call and its limits are checked on the tree; any other is built by a pull parser that stops
as soon as the depth or element-count limit is passed, so hostile shapes cost at most one
chunk of work. Either way no tree holds more elements than the limit.
"""
from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass

from lxml import etree

_CHUNK = 4096  # small enough that libxml2's own depth limit (2048) is never reached first
_WHOLE_ENCODINGS = 8  # encodings a thread keeps a whole-document parser for
_whole = threading.local()  # per thread (lxml parsers and XPath objects are not shared): parsers, depth tests
# Encodings in which the character `<` is always the byte 0x3C: counting those bytes bounds a document's elements
# before it is parsed.
_ASCII_MARKUP = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1",
                           "iso-8859-15", "iso8859-15", "windows-1252", "cp1252"})
_DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_UTF16_STARTS = {
    codecs.BOM_UTF16_LE: "utf-16",
    codecs.BOM_UTF16_BE: "utf-16",
    b"<\x00?\x00": "utf-16-le",  # XML 1.0 appendix F: UTF-16 without a byte order mark
    b"\x00<\x00?": "utf-16-be",
}


class UntrustedXmlError(ValueError):
    """Untrusted bytes that cannot be accepted as an XML document."""


class MalformedXmlError(UntrustedXmlError):
    """The bytes are not a well-formed XML document."""


class RefusedXmlError(UntrustedXmlError):
    """The document uses a construct or a size that is refused (DOCTYPE, depth, count)."""


@dataclass(frozen=True)
class XmlLimits:
    """Bounds applied to every untrusted document."""

    max_depth: int = 64
    max_elements: int = 200_000
    max_attributes: int = 256                # per element (lxml reads values in quadratic time)
    max_attribute_chars: int = 64 * 1024     # all attribute values of one element together
    max_text_chars: int = 16 * 1024 * 1024   # one element's text (base64 of an 8 MB document fits)


def new_parser(encoding: str | None = None) -> etree.XMLPullParser:
    """Return the one hardened lxml parser configuration, reporting start/end events."""
    return etree.XMLPullParser(
        events=("start", "end"),
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=True,
        recover=False,
    )


def parse_untrusted(data: bytes | bytearray, limits: XmlLimits = XmlLimits(), encoding: str | None = None) -> etree._Element:
    """Parse untrusted bytes into a root element or raise an `UntrustedXmlError`."""
    if _declares_doctype(data):
        raise RefusedXmlError("DOCTYPE declarations are not allowed")
    if _whole_is_bounded(data, limits, encoding) and (root := _parsed_whole(data, limits, encoding)) is not None:
        return root
    try:
        parser = new_parser(encoding)
    except (LookupError, ValueError) as error:  # an unknown or unusable encoding name
        raise MalformedXmlError(str(error)) from None
    etree.clear_error_log()  # the thread's libxml2 log explains a pull-parser failure
    depth = elements = 0
    try:
        view = memoryview(data)  # bytes or a bytearray (the edge's preallocated body): chunks are copied only
        for offset in range(0, len(data), _CHUNK):
            parser.feed(bytes(view[offset : offset + _CHUNK]))
            for event, element in parser.read_events():
                if event == "end":
                    depth -= 1
                    _check_text(element, limits)
                    continue
                depth += 1
                elements += 1
                if depth > limits.max_depth:
                    raise RefusedXmlError(f"nesting deeper than {limits.max_depth} elements")
                if elements > limits.max_elements:
                    raise RefusedXmlError(f"more than {limits.max_elements} elements")
                if len(element.attrib) > limits.max_attributes:
                    raise RefusedXmlError(f"more than {limits.max_attributes} attributes on one element")
                if sum(map(len, element.attrib.values())) > limits.max_attribute_chars:
                    raise RefusedXmlError(f"attributes longer than {limits.max_attribute_chars} characters")
        root = parser.close()
    except etree.XMLSyntaxError as error:
        raise MalformedXmlError(_describe(error)) from None
    if root.getroottree().docinfo.doctype:
        raise RefusedXmlError("DOCTYPE declarations are not allowed")
    return root


def _whole_is_bounded(data: bytes | bytearray, limits: XmlLimits, encoding: str | None) -> bool:
    """Whether parsing the document in one call builds no more than the limits allow before they are checked: at
    most one chunk, or an ASCII-compatible encoding with no more `<` bytes than elements allowed and no more bytes
    than one text may have characters."""
    if len(data) <= _CHUNK:
        return True
    if len(data) > limits.max_text_chars or data.count(b"<") > limits.max_elements:
        return False
    head = bytes(data[:256])
    head = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if not head.lstrip(b" \t\r\n").startswith(b"<"):  # UTF-16/32 with a BOM or big-endian, EBCDIC: not ASCII markup
        return False
    declared = _DECLARED_ENCODING.match(head)
    names = {(name or "utf-8").lower() for name in (encoding, declared and declared.group(1).decode("ascii", "replace"))}
    return names <= _ASCII_MARKUP


def _parsed_whole(data: bytes | bytearray, limits: XmlLimits, encoding: str | None) -> etree._Element | None:
    """A document `_whole_is_bounded` admits, parsed in one call by the same configuration, its limits checked on the
    tree (its work is bounded by its size); None when anything is wrong: the pull parser then decides and words it."""
    try:
        parser, tests = _whole_tools(encoding, limits.max_depth)
        root = etree.fromstring(bytes(data), parser)
    except (etree.XMLSyntaxError, LookupError, ValueError, TypeError):
        return None
    if root.getroottree().docinfo.doctype:
        return None
    elements = tests.count(root)
    if elements > limits.max_elements or (elements > limits.max_depth and tests.deeper(root)):
        return None
    if tests.attribute_count(root) > limits.max_attributes and tests.crowded(root, limit=limits.max_attributes):
        return None  # before any value is read: lxml reads the values of a crowded element in quadratic time
    if tests.long_values(root, limit=limits.max_attribute_chars // limits.max_attributes):  # else none can add up
        for element in tests.attributed(root):
            if sum(map(len, element.attrib.values())) > limits.max_attribute_chars:
                return None
    if len(data) > limits.max_text_chars:  # else no text can be longer (a character takes at least one byte)
        if any(e.text is not None and len(e.text) > limits.max_text_chars for e in root.iter(etree.Element)):
            return None
    return root


class _TreeTests:
    """XPath tests of a parsed tree against the limits, evaluated by libxml2 (lxml XPath objects: one per thread)."""

    def __init__(self, max_depth: int):
        self.count = etree.XPath("count(//*)")
        self.deeper = etree.XPath("boolean(" + "/*" * (max_depth + 1) + ")")
        self.attribute_count = etree.XPath("count(//@*)")
        self.crowded = etree.XPath("boolean(//*[count(@*) > $limit])")
        self.long_values = etree.XPath("boolean(//@*[string-length() > $limit])")
        self.attributed = etree.XPath("//*[@*]")


def _whole_tools(encoding: str | None, max_depth: int) -> tuple[etree.XMLParser, _TreeTests]:
    """This thread's whole-document parser for an encoding (new_parser's configuration, no events) and its tests of
    a tree against the limits."""
    tools = _whole.__dict__.setdefault("tools", {})
    key = (encoding, max_depth)
    if key not in tools:
        parser = etree.XMLParser(encoding=encoding, resolve_entities=False, no_network=True, load_dtd=False,
                                 dtd_validation=False, attribute_defaults=False, huge_tree=True, recover=False)
        tests = _TreeTests(max_depth)
        if len(tools) >= _WHOLE_ENCODINGS:
            return parser, tests
        tools[key] = parser, tests
    return tools[key]


def _check_text(element: etree._Element, limits: XmlLimits) -> None:
    """Refuse an element whose text is over the limit (the input is bounded, so is the work)."""
    text = element.text
    if text is not None and len(text) > limits.max_text_chars:
        raise RefusedXmlError(f"text longer than {limits.max_text_chars} characters")


def _describe(error: etree.XMLSyntaxError) -> str:
    """Return libxml2's first fatal message, which the pull parser may hide on close."""
    fatal = error.error_log.filter_from_fatals()
    if not fatal:
        return str(error)
    return f"{fatal[0].message} (line {fatal[0].line}, column {fatal[0].column})"


def _declares_doctype(data: bytes) -> bool:
    """Tell whether the prolog (before the root element) holds a DOCTYPE declaration."""
    encoding = _UTF16_STARTS.get(bytes(data[:2])) or _UTF16_STARTS.get(bytes(data[:4]))  # data may be a bytearray
    if encoding:
        data = data.decode(encoding, errors="replace").encode("utf-8")
    position = 0
    while (start := data.find(b"<", position)) >= 0:
        if data.startswith(b"<!DOCTYPE", start):
            return True
        if data.startswith(b"<?", start):
            position = data.find(b"?>", start + 2)
        elif data.startswith(b"<!--", start):
            position = data.find(b"-->", start + 4)
        else:
            return False
        if position < 0:
            return False
    return False

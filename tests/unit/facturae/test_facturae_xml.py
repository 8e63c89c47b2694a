"""Hostile and legitimate inputs to the hardened XML parser."""
from __future__ import annotations

import os
import time

import pytest
from lxml import etree

from ventanilla.facturae.xml import (
    MalformedXmlError,
    RefusedXmlError,
    UntrustedXmlError,
    XmlLimits,
    parse_untrusted,
)

LAUGHS = b"".join(
    [b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY l0 "lol">']
    + [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">'.encode() for i in range(1, 10)]
    + [b']><lolz a="&l9;">&l9;</lolz>']
)


def refused_quickly(data: bytes, limits: XmlLimits = XmlLimits()) -> RefusedXmlError:
    """Parse data expecting a refusal within a second (milliseconds measured; expanding takes minutes)."""
    started = time.perf_counter()
    with pytest.raises(RefusedXmlError) as caught:
        parse_untrusted(data, limits)
    assert time.perf_counter() - started < 1.0
    return caught.value


def test_plain_document_parses():
    root = parse_untrusted(b'<?xml version="1.0"?><r a="1"><c>t</c></r>')
    assert (root.tag, root.get("a"), root.findtext("c")) == ("r", "1", "t")


@pytest.mark.timeout(5)
def test_xxe_file_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)  # opening a FIFO with no writer blocks: reading it would hang the test
    data = f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{fifo}">]><r>&x;</r>'.encode()
    assert "DOCTYPE" in str(refused_quickly(data))


def test_billion_laughs_refused():
    refused_quickly(LAUGHS)


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE r><r/>",
        b'<?xml version="1.0"?>\n<!-- ' + b"x" * 10_000 + b" -->\n<?pi data?><!DOCTYPE r []><r/>",
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r []><r/>'.encode("utf-16"),
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r []><r/>'.encode("utf-16-be"),
    ],
    ids=["bare", "after-long-prolog", "utf-16", "utf-16-be-without-bom"],
)
def test_any_doctype_refused(data):
    refused_quickly(data)


def test_utf16_document_parses():
    assert parse_untrusted('<?xml version="1.0" encoding="UTF-16"?><r>año</r>'.encode("utf-16")).text == "año"


def test_depth_limit_is_inclusive():
    assert parse_untrusted(b"<a>" * 64 + b"</a>" * 64).tag == "a"
    assert "64" in str(refused_quickly(b"<a>" * 65 + b"</a>" * 65))


def test_very_deep_nesting_refused_quickly():
    refused_quickly(b"<a>" * 200_000 + b"</a>" * 200_000)


def test_element_count_limit():
    limits = XmlLimits(max_depth=64, max_elements=100)
    assert len(parse_untrusted(b"<r>" + b"<a/>" * 99 + b"</r>", limits)) == 99
    refused_quickly(b"<r>" + b"<a/>" * 100 + b"</r>", limits)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<r><a>text</r>", "mismatch"),
        (b'<r a="1">', "end of data"),
        (b"<r>&x;</r>", "'x' not defined"),
    ],
)
def test_malformed_xml(data, message):
    with pytest.raises(MalformedXmlError, match=message):
        parse_untrusted(data)


def test_both_failures_share_a_base():
    assert issubclass(MalformedXmlError, UntrustedXmlError)
    assert issubclass(RefusedXmlError, UntrustedXmlError)


def test_ten_megabyte_text_node_parses():
    payload = b"QUJD" * 2_600_000
    root = parse_untrusted(b"<r><data>" + payload + b"</data></r>")
    assert len(root.findtext("data")) == len(payload)


SMALL_LIMITS = XmlLimits(max_depth=3, max_elements=6, max_attributes=2, max_attribute_chars=8, max_text_chars=5)
PADDING = b"<!--" + b"x" * 5000 + b"-->"  # the same document over one chunk: parsed by the pull parser


@pytest.mark.parametrize(
    ("data", "refusal"),
    [
        (b"<a><b><c/></b></a>", None),
        (b"<a><b><c><d/></c></b></a>", "nesting deeper than 3 elements"),
        (b"<a>" + b"<b/>" * 5 + b"</a>", None),
        (b"<a>" + b"<b/>" * 6 + b"</a>", "more than 6 elements"),
        (b'<a x="1" y="2"/>', None),
        (b'<a x="1" y="2" z="3"/>', "more than 2 attributes on one element"),
        (b'<a x="1234" y="5678"/>', None),
        (b'<a x="12345" y="5678"/>', "attributes longer than 8 characters"),
        (b"<a><b>12345</b></a>", None),
        (b"<a><b>123456</b></a>", "text longer than 5 characters"),
        (b"<a><b/><b/>123456</a>", None),  # a tail is no element's text
    ],
)
def test_a_small_document_meets_the_limits_as_a_large_one(data, refusal):
    """Documents of at most one chunk are parsed whole and their limits checked on the tree: same verdicts, words
    and trees as the pull parser gives the same document made larger than a chunk."""
    for document in (data, PADDING + data):
        if refusal is None:
            assert etree.tostring(parse_untrusted(document, SMALL_LIMITS)) == etree.tostring(etree.fromstring(data))
        else:
            with pytest.raises(RefusedXmlError, match=refusal):
                parse_untrusted(document, SMALL_LIMITS)


@pytest.mark.parametrize("encoding", [None, "utf-8", "iso-8859-1", "no-such-encoding"])
def test_a_small_document_in_a_named_encoding(encoding):
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><r>año</r>'.encode("iso-8859-1")
    if encoding == "no-such-encoding":
        with pytest.raises(MalformedXmlError):
            parse_untrusted(data, encoding=encoding)
        return
    expected = "año" if encoding != "utf-8" else None
    if expected is None:  # told utf-8, the bytes are not: the same failure as the pull parser's
        with pytest.raises(MalformedXmlError):
            parse_untrusted(data, encoding=encoding)
        return
    assert parse_untrusted(data, encoding=encoding).text == "año"

"""Hostile and legitimate inputs to the hardened XML parser."""
from __future__ import annotations

import os
import time

import pytest
from lxml import etree

from ventanilla.facturae import xml
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
LONG = b"<!--" + b"x" * 5000 + b"-->"  # over one chunk, few `<`: still parsed in one call
PULLED = b"<!---->" * 7 + LONG  # over one chunk, more `<` than SMALL_LIMITS allows elements: the pull parser's


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
    """Documents parsed whole (at most one chunk, or larger with fewer `<` than elements allowed) have their limits
    checked on the tree: same verdicts, words and trees as the pull parser gives the same document."""
    for document in (data, LONG + data, PULLED + data):
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


def _pull_parser_refused(monkeypatch) -> list[str]:
    """Make the pull parser unusable; the encodings it was asked for are recorded."""
    asked = []

    def refuse(encoding=None):
        asked.append(encoding)
        raise AssertionError("the pull parser was used")

    monkeypatch.setattr(xml, "new_parser", refuse)
    return asked


def test_a_large_document_with_few_elements_is_parsed_in_one_call(monkeypatch):
    _pull_parser_refused(monkeypatch)
    data = b'<?xml version="1.0" encoding="UTF-8"?><r>' + b"".join(b'<l n="%d">%s</l>' % (i, b"x" * 90) for i in range(
        1000)) + b"</r>"
    assert len(data) > 100_000
    assert len(parse_untrusted(data)) == 1000


@pytest.mark.parametrize(
    ("data", "limits", "encoding"),
    [
        (b"<r>" + b"<a/>" * 2000 + b"</r>", XmlLimits(max_elements=1000), None),  # more `<` than elements allowed
        (b"<r>" + b"x" * 5000 + b"</r>", XmlLimits(max_text_chars=4000), None),  # more bytes than a text may have
        (b'<?xml version="1.0" encoding="IBM037"?><r>' + b"x" * 5000 + b"</r>", XmlLimits(), None),  # `<` not 0x3C
        (b"<r>" + b"x" * 5000 + b"</r>", XmlLimits(), "ibm037"),
        ('<?xml version="1.0" encoding="IBM037"?><r>'.encode("cp037") + b"\xa7" * 5000 + "</r>".encode("cp037"),
         XmlLimits(), None),  # EBCDIC, its declaration in EBCDIC too (libxml2 detects it by its first bytes)
        ('<?xml version="1.0" encoding="UTF-16"?><r>'.encode("utf-16") + b"x\x00" * 5000 + "</r>".encode("utf-16-le"),
         XmlLimits(), None),
    ],
    ids=["elements", "text", "declared-ebcdic", "told-ebcdic", "ebcdic", "utf-16"],
)
def test_a_large_document_whose_bytes_do_not_bound_the_limits_goes_to_the_pull_parser(monkeypatch, data, limits,
                                                                                       encoding):
    tried = []
    monkeypatch.setattr(xml, "_parsed_whole", lambda *args: tried.append(args))
    asked = _pull_parser_refused(monkeypatch)
    with pytest.raises(AssertionError, match="pull parser"):
        parse_untrusted(data, limits, encoding)
    assert asked == [encoding] and tried == []  # not even tried in one call: its tree could pass the limits


def test_a_refused_large_document_is_refused_in_the_pull_parsers_words():
    crowded = b"<r " + b" ".join(b'a%d="x"' % i for i in range(300)) + b"/>" + b"<!--" + b"x" * 5000 + b"-->"
    assert "more than 256 attributes" in str(refused_quickly(crowded))
    long_values = b'<r a="' + b"x" * 40_000 + b'" b="' + b"y" * 30_000 + b'"/>'
    assert "attributes longer than 65536" in str(refused_quickly(long_values))
    assert "nesting deeper than 64" in str(refused_quickly(b"<a>" * 1000 + b"x" * 5000 + b"</a>" * 1000))


def _random_document(rnd) -> bytes:
    """A document over one chunk with random elements, attributes, texts and mistakes around the limits below."""

    def element(depth: int) -> str:
        name = rnd.choice(["a", "b", "p:c"])
        attributes = "".join(f' x{i}="{"v" * rnd.choice([1, 10, 2000])}"' for i in range(rnd.choice([0, 1, 2, 3, 4])))
        attributes += ' x0="twice"' if rnd.random() < 0.05 else ""
        children = "".join(element(depth + 1) for _ in range(rnd.choice([0, 0, 1, 2, 3]))) if depth < 8 else ""
        text = rnd.choice(["", "t", "&amp;", "<![CDATA[x]]>", "&#x41;", "&undefined;"] * 4 + ["y" * 21_000])
        return f"<{name}{attributes}>{text}{children}</{name}>"

    prolog = rnd.choice(['<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-8"?>', ""])
    document = f'{prolog}<!--{"z" * 5000}--><r xmlns:p="urn:p">{element(0)}</r>'
    return (document[:-3] if rnd.random() < 0.05 else document).encode()


def test_the_one_call_parse_and_the_pull_parser_agree_on_random_documents(monkeypatch):
    """Same tree or same refusal, in the same words, whichever parser takes the document."""
    import random

    limits = XmlLimits(max_depth=4, max_elements=400, max_attributes=3, max_attribute_chars=3000, max_text_chars=20_000)
    rnd, bounded = random.Random(15), xml._whole_is_bounded

    def verdict(data: bytes) -> tuple[str, bytes | str]:
        try:
            return "tree", etree.tostring(parse_untrusted(data, limits))
        except UntrustedXmlError as error:
            return type(error).__name__, str(error)

    documents = [_random_document(rnd) for _ in range(400)]
    assert sum(bounded(d, limits, None) for d in documents) > 100  # enough of them are parsed in one call
    whole = [verdict(d) for d in documents]
    monkeypatch.setattr(xml, "_whole_is_bounded", lambda *args: False)
    assert [verdict(d) for d in documents] == whole

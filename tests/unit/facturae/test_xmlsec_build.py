"""python-xmlsec and lxml must share one libxml2: a mismatch breaks signatures in subtle ways."""
import xmlsec
from lxml import etree


def test_xmlsec_and_lxml_use_the_same_libxml2():
    assert xmlsec.get_libxml_version() == etree.LIBXML_VERSION
    assert xmlsec.get_libxml_compiled_version() == etree.LIBXML_COMPILED_VERSION

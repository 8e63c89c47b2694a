"""The reference PeFAC WSDL/XSD from the shared folder (read by tests only; always beside the checkout)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

PEFAC = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "pefac"
XS = "{http://www.w3.org/2001/XMLSchema}"
WSDL = "{http://schemas.xmlsoap.org/wsdl/}"


def reference(name: str) -> Path:
    """The path of one reference file; a missing one is an error of the checkout, not a reason to skip."""
    path = PEFAC / name
    if not path.is_file():
        raise FileNotFoundError(f"the reference {name} is missing at {path}: the specifications folder "
                                "../shared must sit beside the checkout")
    return path


def _parse(name: str) -> etree._ElementTree:
    return etree.parse(str(reference(name)))


@lru_cache
def xsd_tree() -> etree._ElementTree:
    return _parse("FacturaService.xsd")


@lru_cache
def schema() -> etree.XMLSchema:
    """The reference XSD as a validator."""
    return etree.XMLSchema(xsd_tree())


@lru_cache
def wsdl_tree() -> etree._ElementTree:
    return _parse("FacturaService.wsdl")


def sequence(schema_root: etree._Element, type_name: str) -> list[etree._Element]:
    """The xs:element declarations of a complexType, base type first for extensions."""
    (complex_type,) = schema_root.xpath(f"//xs:complexType[@name='{type_name}']", namespaces={"xs": XS[1:-1]})
    extension = complex_type.find(f"{XS}complexContent/{XS}extension")
    if extension is not None:
        base = extension.get("base").split(":")[-1]
        return sequence(schema_root, base) + extension.findall(f"{XS}sequence/{XS}element")
    return complex_type.findall(f"{XS}sequence/{XS}element")


def operations(wsdl_root: etree._Element) -> dict[str, tuple[str, str]]:
    """Operation name -> (input element, output element) local names."""
    messages = {m.get("name"): m.find(f"{WSDL}part").get("element").split(":")[-1]
                for m in wsdl_root.iter(f"{WSDL}message")}
    result = {}
    for operation in wsdl_root.find(f"{WSDL}portType").iter(f"{WSDL}operation"):
        message_of = lambda tag: messages[operation.find(f"{WSDL}{tag}").get("message").split(":")[-1]]  # noqa: E731
        result[operation.get("name")] = (message_of("input"), message_of("output"))
    return result

"""The sign-up acceptance document (manual 4.1): the XML the user signs (XAdES) and uploads back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from ventanilla.domain.integrator_decide import Refused
from ventanilla.facturae.xml import XmlLimits, parse_untrusted

NS = "urn:ventanilla:portal:alta-integrador:v1"
TERMS = (
    "Declaro mi interés en dar de alta la entidad con razón social/nombre: {name} y con NIF: {nif} como empresa"
    " integradora con los servicios web de Ventanilla. Con el alta del integrador doy mi consentimiento a gestionar"
    " facturas electrónicas a través de servicios web, haciendo siempre uso de Ventanilla bajo las condiciones"
    " técnicas y legales que apliquen, y declaro mi compromiso de hacer un uso adecuado y responsable y de obrar"
    " como titular de la información que de mi entidad registre o modifique."
)


@dataclass(frozen=True)
class Acceptance:
    """What the user declares by signing."""

    document_id: str
    name: str
    nif: str
    email: str
    accepted_terms: bool
    third_party: bool
    date: datetime


def _flag(value: bool) -> str:
    return "true" if value else "false"


def build(acceptance: Acceptance) -> bytes:
    """The unsigned XML offered for download."""
    root = etree.Element(f"{{{NS}}}AltaIntegrador", nsmap={None: NS})
    for tag, text in (("Documento", acceptance.document_id), ("Entidad", acceptance.name), ("NIF", acceptance.nif),
                      ("CorreoElectronico", acceptance.email), ("AceptaCondiciones", _flag(acceptance.accepted_terms)),
                      ("ServiciosTerceros", _flag(acceptance.third_party)),
                      ("Fecha", acceptance.date.isoformat(timespec="seconds")),
                      ("Condiciones", TERMS.format(name=acceptance.name, nif=acceptance.nif))):
        etree.SubElement(root, f"{{{NS}}}{tag}").text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def read(document: bytes) -> Acceptance:
    """What a (signed) acceptance document declares; Refused("document_other") when it is not one."""
    try:
        root = parse_untrusted(document, XmlLimits())
    except Exception:  # noqa: BLE001 - any parse refusal means: not our document
        raise Refused("document_unreadable", "document") from None
    if root.tag != f"{{{NS}}}AltaIntegrador":
        raise Refused("document_other", "document")

    def text(tag: str) -> str:
        return (root.findtext(f"{{{NS}}}{tag}") or "").strip()

    try:
        date = datetime.fromisoformat(text("Fecha"))
    except ValueError:
        raise Refused("document_other", "document") from None
    return Acceptance(text("Documento"), text("Entidad"), text("NIF"), text("CorreoElectronico"),
                      text("AceptaCondiciones") == "true", text("ServiciosTerceros") == "true", date)

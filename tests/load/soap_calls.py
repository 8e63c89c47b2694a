"""The SOAP requests suppliers send besides enviarFactura, and what the kit reads from the answers."""
from __future__ import annotations

from typing import Iterable
from xml.sax.saxutils import escape

from lxml import etree

from tests.e2e import soap

XML = "text/xml; charset=utf-8"
MAX_GROUP = 500  # the manual's limit for group queries


def _tupla(tupla: dict) -> str:
    return "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in tupla.items())


def estado(invoice_id: int) -> tuple[str, bytes]:
    """consultarEstadoFactura by id."""
    return XML, soap.envelope("consultarEstadoFactura", f"<idFactura>{invoice_id}</idFactura>")


def estado_por_valores(tupla: dict) -> tuple[str, bytes]:
    """consultarEstadoFacturaPorValores by <NIF, ejercicio, serie, número>."""
    return XML, soap.envelope("consultarEstadoFacturaPorValores", _tupla(tupla))


def grupo(ids: Iterable[int]) -> tuple[str, bytes]:
    """consultarGrupoEstadosFactura of up to 500 ids."""
    ids = list(ids)
    if not 0 < len(ids) <= MAX_GROUP:
        raise ValueError(f"a group query asks for 1 to {MAX_GROUP} invoices, not {len(ids)}")
    return XML, soap.envelope("consultarGrupoEstadosFactura", "".join(f"<facturaId>{i}</facturaId>" for i in ids))


def grupo_por_valores(tuplas: Iterable[dict]) -> tuple[str, bytes]:
    """consultarGrupoEstadoFacturasPorValores (the manual's section 4.9) of up to 500 tuples."""
    tuplas = list(tuplas)
    if not 0 < len(tuplas) <= MAX_GROUP:
        raise ValueError(f"a group query asks for 1 to {MAX_GROUP} invoices, not {len(tuplas)}")
    body = "".join(f"<facturaTupla>{_tupla(t)}</facturaTupla>" for t in tuplas)
    return XML, soap.envelope("consultarGrupoEstadoFacturasPorValores", body)


def anular(invoice_id: int, motivo: str) -> tuple[str, bytes]:
    """anularFactura with a reason."""
    body = f"<idFactura>{invoice_id}</idFactura><motivoAnulacion>{escape(motivo)}</motivoAnulacion>"
    return XML, soap.envelope("anularFactura", body)


def fault_key(body: etree._Element) -> str | None:
    """The catalogue key of a SOAP fault (ServicioError/mensajesError), None for an answer."""
    fault = body.find(f"{{{soap.SOAP}}}Fault")
    return None if fault is None else (fault.findtext(".//mensajesError") or "soap:Fault")


def registered_id(body: etree._Element) -> int:
    """The id enviarFactura returned."""
    return int(body.findtext(f"{{{soap.NS}}}enviarFacturaResponse/return/id"))


def estado_of(body: etree._Element) -> str | None:
    """The state consultarEstadoFactura(PorValores) returned."""
    returned = body.find(f".//{{{soap.NS}}}*/return")
    return None if returned is None else returned.text


def group_size(body: etree._Element) -> int:
    """How many items a group answer holds."""
    return len(body.findall(".//resultadoEstadosFacturas"))

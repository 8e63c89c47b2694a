"""In-memory adapters of the gateway's ports (they pass tests/support/backoffice_contracts.py like the real ones)."""
from __future__ import annotations

from datetime import datetime

from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import invoice_pb2
from ventanilla.domain.integrators_directory import IntegratorsDirectory
from backoffice_gateway.ports import BackendUnavailable, InvoiceNotFound, Stamp
from backoffice_gateway.stamping import stamped


class MemoryDirectory:
    """An integrators directory that is ready when told."""

    def __init__(self, directory: IntegratorsDirectory, ready: bool = True):
        self._directory, self.is_ready = directory, ready

    def ready(self) -> bool:
        return self.is_ready

    def credential(self, fingerprint: str, now: datetime):
        return self._directory.credential(fingerprint, now)


class MemoryOutbox:
    """The back-office topic as a list of (key, message); `down` makes appends fail like an unreachable broker."""

    def __init__(self):
        self.records: list[tuple[bytes, pb.BackOfficeMessage]] = []
        self.down = False

    def append(self, body: str, message, stamp: Stamp) -> None:
        if self.down:
            raise BackendUnavailable("broker down")
        self.records.append((str(message.invoice_id).encode("ascii"), stamped(body, message, stamp)))

    def read_back(self) -> list[tuple[bytes, pb.BackOfficeMessage]]:
        return list(self.records)


class MemoryBackOffice:
    """Invoices by id: (oficina contable, documents); `down` makes reads fail like an unreachable status service."""

    def __init__(self):
        self.invoices: dict[int, tuple[str, bytes]] = {}
        self.down = False

    def register(self, invoice_id: int, oficina_contable: str, facturae: bytes = b"<Facturae/>") -> None:
        self.invoices[invoice_id] = (oficina_contable, facturae)

    def _get(self, invoice_id: int) -> tuple[str, bytes]:
        if self.down:
            raise BackendUnavailable("status service down")
        if invoice_id not in self.invoices:
            raise InvoiceNotFound(f"La factura {invoice_id} no está registrada.")
        return self.invoices[invoice_id]

    def history(self, invoice_id: int) -> pb.History:
        unit, _ = self._get(invoice_id)
        return pb.History(invoice_id=invoice_id, state=invoice_pb2.REGISTRADA,
                          centres=invoice_pb2.AdministrativeCentres(oficina_contable=unit))

    def documents(self, invoice_id: int) -> pb.Documents:
        _, facturae = self._get(invoice_id)
        return pb.Documents(invoice_id=invoice_id, facturae=pb.Document(content=facturae))

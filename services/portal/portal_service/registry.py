"""Read-only calls to the registry (receipts by CSV) and the status service (is this invoice registered?)."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime

import grpc
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from ventanilla.api.v1 import invoice_pb2, services_pb2, services_pb2_grpc

log = logging.getLogger("portal.registry")


class RegistryUnavailable(Exception):
    """The registry or status service did not answer."""


@dataclass(frozen=True)
class SealCheck:
    """What the receipt's PAdES seal says: intact, from a trusted certificate, by whom, when."""

    intact: bool
    trusted: bool
    signer: str
    signed_at: datetime | None

    @property
    def valid(self) -> bool:
        """Intact and trusted."""
        return self.intact and self.trusted


def check_seal(pdf: bytes, roots: tuple[asn1_x509.Certificate, ...]) -> SealCheck:
    """Validate the receipt's embedded signature against the seal's trust anchors."""
    try:
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
        if not signatures:
            return SealCheck(False, False, "", None)
        status = validate_pdf_signature(signatures[0], ValidationContext(trust_roots=list(roots)))
    except Exception as error:  # noqa: BLE001 - a damaged PDF is an invalid seal, not an error page
        log.info("receipt seal unreadable", extra={"error": type(error).__name__})
        return SealCheck(False, False, "", None)
    return SealCheck(bool(status.intact and status.valid), bool(status.trusted),
                     status.signing_cert.subject.human_friendly, status.signer_reported_dt)


class GrpcRegistry:
    """Channels to the registry and status services, opened on first use."""

    def __init__(self, registry_address: str, status_address: str, deadline_s: float = 5.0,
                 open_channel=grpc.insecure_channel):
        self._addresses, self._open_channel = (registry_address, status_address), open_channel
        self._deadline_s = deadline_s
        self._channels: list[grpc.Channel] = []

    def _stubs(self):
        if not self._channels:
            self._channels = [self._open_channel(a) for a in self._addresses]
        return (services_pb2_grpc.RegistryServiceStub(self._channels[0]),
                services_pb2_grpc.StatusServiceStub(self._channels[1]))

    def receipt(self, csv: str) -> bytes | None:
        """The sealed receipt PDF of a CSV, None when there is none."""
        try:
            return self._stubs()[0].GetReceipt(services_pb2.ReceiptByCsv(csv=csv), timeout=self._deadline_s).receipt_pdf
        except grpc.RpcError as error:
            if error.code() is grpc.StatusCode.NOT_FOUND:
                return None
            raise RegistryUnavailable(str(error.code())) from None

    def registered(self, caller_nif: str, supplier_nif: str, year: int, series: str, number: str) -> bool:
        """Whether the status service shows this invoice to the caller (registered, and theirs to see)."""
        request = services_pb2.InvoiceByTuple(
            caller=services_pb2.Caller(nif=caller_nif, request_id="portal-validator"),
            tuple=invoice_pb2.InvoiceTuple(supplier_nif=supplier_nif, year=year, series=series, number=number))
        try:
            self._stubs()[1].FindInvoice(request, timeout=self._deadline_s)
            return True
        except grpc.RpcError as error:
            if error.code() is grpc.StatusCode.FAILED_PRECONDITION:
                return False
            raise RegistryUnavailable(str(error.code())) from None

    def close(self) -> None:
        """Close the channels."""
        for channel in self._channels:
            channel.close()
        self._channels = []

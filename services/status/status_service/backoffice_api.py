"""Internal gRPC BackOfficeService: documents for the back offices, history for operators."""
from __future__ import annotations

import logging

from ventanilla.adapters.blob_store import BlobStore
from ventanilla.adapters.grpc_errors import abort_with
from ventanilla.adapters.invoice_messages import centres_to_pb, state_to_pb, timestamp
from ventanilla.adapters.projection_store import ProjectionStore
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import backoffice_pb2_grpc, invoice_pb2
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import DocumentRef, Invoice
from status_service.ports import Progress

log = logging.getLogger("status.backoffice")


def _document(blobs: BlobStore, ref: DocumentRef) -> pb.Document:
    blob_ref = invoice_pb2.BlobRef(sha256=ref.sha256, size=ref.size, name=ref.name, media_type=ref.media_type)
    return pb.Document(ref=blob_ref, content=blobs.get(ref.sha256))


class BackOfficeApi(backoffice_pb2_grpc.BackOfficeServiceServicer):
    """Serves registered invoices' documents and histories, after catching up with the log."""

    def __init__(self, store: ProjectionStore, blobs: BlobStore, catch_up: Progress):
        self._store, self._blobs, self._catch_up = store, blobs, catch_up

    def _invoice(self, invoice_id: int, context) -> Invoice:
        try:
            self._catch_up.ensure()
        except DomainError as behind:
            abort_with(context, behind)
        invoice = self._store.load(invoice_id) if invoice_id > 0 else None
        if invoice is None:
            abort_with(context, DomainError(ErrorKey.FACTURA_INVALIDA, f"La factura {invoice_id} no está registrada."))
        return invoice

    def GetDocuments(self, request, context):
        reg = self._invoice(request.invoice_id, context).registration
        log.info("documents served", extra={"invoice_id": reg.id, "attachments": len(reg.attachments)})
        return pb.Documents(invoice_id=reg.id, facturae=_document(self._blobs, reg.facturae),
                            attachments=[_document(self._blobs, a) for a in reg.attachments])

    def GetHistory(self, request, context):
        invoice = self._invoice(request.invoice_id, context)
        return pb.History(invoice_id=invoice.id, state=state_to_pb(invoice.state),
                          centres=centres_to_pb(invoice.registration.centres), entries=[
            pb.HistoryEntry(state=state_to_pb(e.state), observaciones=e.remarks, source=e.source,
                            at=timestamp(e.at), message_id=e.message_id)
            for e in invoice.history
        ])

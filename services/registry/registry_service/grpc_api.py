"""gRPC RegistryService: protobuf in, the submission use case, protobuf out."""
from __future__ import annotations

from ventanilla.adapters.grpc_errors import abort_with
from ventanilla.adapters.invoice_messages import registration_to_pb, state_to_pb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.domain.errors import DomainError
from ventanilla.domain.invoice import State
from registry_service.handlers import Registrar, Upload


class RegistryApi(services_pb2_grpc.RegistryServiceServicer):
    """Answers enviarFactura."""

    def __init__(self, registrar: Registrar):
        self._registrar = registrar

    def SubmitInvoice(self, request, context):
        uploads = [Upload(a.name, a.content) for a in request.attachments]
        try:
            done = self._registrar.submit(request.caller.nif, request.facturae, uploads)
        except DomainError as error:
            abort_with(context, error)
        invoice = registration_to_pb(done.invoice)
        invoice.state = state_to_pb(State.REGISTRADA)
        position = pb.LogPosition(
            topic=done.position.topic, partition=done.position.partition, offset=done.position.offset
        )
        return pb.SubmitInvoiceResponse(invoice=invoice, receipt_pdf=done.receipt_pdf, position=position)

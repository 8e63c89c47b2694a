"""gRPC RegistryService: protobuf in, the submission use case, protobuf out."""
from __future__ import annotations

import logging
import re
import time

import grpc

from ventanilla.adapters import callers, submission_stream
from ventanilla.adapters.grpc_errors import abort_with
from ventanilla.adapters.invoice_messages import registration_to_pb, state_to_pb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import State
from registry_service.attachments import Upload
from registry_service.handlers import Registrar

log = logging.getLogger("registry.api")
CSV_SHAPE = re.compile(r"[A-Z2-7]{24}", re.ASCII)
ANSWER_MARGIN_S = 3.0  # the answer must reach the caller before its deadline


def handler_deadline(context) -> float | None:
    """The time.monotonic() instant by which a use case must have finished, from the call's deadline."""
    remaining = context.time_remaining()
    return None if remaining is None else time.monotonic() + remaining - ANSWER_MARGIN_S


class RegistryApi(services_pb2_grpc.RegistryServiceServicer):
    """Answers enviarFactura, and receipts by secure verification code."""

    def __init__(self, registrar: Registrar, counted=None):
        self._registrar = registrar
        self._counted = counted  # (outcome, fault key) of each submission decided, when metrics are kept

    def SubmitInvoice(self, request, context):
        return self._submit(submission_stream.of_message(request), context)

    def SubmitInvoiceStream(self, request_iterator, context):
        try:
            submission = submission_stream.reassembled(request_iterator)
        except DomainError as error:
            abort_with(context, error)
        except grpc.RpcError:  # the caller broke off before the last part: nothing to decide
            context.abort(grpc.StatusCode.CANCELLED, "the submission broke off")
        return self._submit(submission, context)

    def _submit(self, request: submission_stream.Submission, context) -> pb.SubmitInvoiceResponse:
        uploads = [Upload(a.name, a.content) for a in request.attachments]
        try:
            done = self._registrar.submit(request.caller.nif, request.facturae, uploads, handler_deadline(context),
                                          channel=callers.channel(request.caller),
                                          third_party=request.caller.third_party)
        except DomainError as error:
            self._count(error.key)
            abort_with(context, error)
        except Exception:  # noqa: BLE001 - logged, and answered with the catalogue's server error
            log.exception("submission failed", extra={"request_id": request.caller.request_id})
            self._count(ErrorKey.REGISTRO)
            abort_with(context, DomainError(ErrorKey.REGISTRO))
        self._count(None)
        invoice = registration_to_pb(done.invoice)
        invoice.state = state_to_pb(State.REGISTRADA)
        return pb.SubmitInvoiceResponse(invoice=invoice, receipt_pdf=done.receipt_pdf, receipt_csv=done.csv)

    def _count(self, key: ErrorKey | None) -> None:
        if self._counted is not None:
            self._counted(key)

    def GetReceipt(self, request, context):
        receipt = self._registrar.receipt(request.csv) if CSV_SHAPE.fullmatch(request.csv) else None
        if receipt is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no receipt")
        return pb.ReceiptAnswer(receipt_pdf=receipt)

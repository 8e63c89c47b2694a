"""gRPC CancellationService: resolves the invoice through the status service, then cancels."""
from __future__ import annotations

import logging

import grpc

from ventanilla.adapters.grpc_errors import abort_with, domain_error_of
from ventanilla.adapters.invoice_messages import invoice_from_pb, invoice_to_pb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.observability.catalogue import outcome_of
from cancellation_service.handlers import Canceller

log = logging.getLogger("cancellation.api")

def state_unreachable() -> DomainError:
    """The refusal of a cancellation whose invoice state cannot be read now: a server fault, try again later.

    PeFAC checks a cancellation against SEFCAN, the back office, and a connection failure there is
    facturae.error.sefcan.socket.timeout; here the status service holds what the back office said.
    """
    return DomainError(ErrorKey.SEFCAN_TIMEOUT, "No se ha podido comprobar el estado de la factura: el servicio de "
                                                "estado no está disponible. Inténtelo de nuevo en unos minutos.")


def _own_writes(caller: pb.Caller) -> pb.Caller:
    """The caller, asking the status service for the log's end: the decision and its read-back need every write."""
    return pb.Caller(nif=caller.nif, request_id=caller.request_id, read_own_writes=True)


class CancellationApi(services_pb2_grpc.CancellationServiceServicer):
    """Answers anularFactura and anularFacturaPorValores."""

    def __init__(self, canceller: Canceller, status: services_pb2_grpc.StatusServiceStub, timeout_s: float,
                 counted=None):
        self._canceller = canceller
        self._counted = counted  # ventanilla_cancellation_requests_total, when metrics are kept
        self._status = status
        self._timeout_s = timeout_s

    def _run(self, context, caller, lookup, reason):
        def resolved():
            try:
                answer = lookup(timeout=self._timeout_s, wait_for_ready=True)
            except grpc.RpcError as error:
                raise domain_error_of(error) or state_unreachable() from None
            return invoice_from_pb(answer.invoice), answer.receipt_pdf
        try:
            invoice, receipt_pdf = self._canceller.cancel(caller.nif, resolved, reason)
        except DomainError as error:
            self._decided(error.key)
            abort_with(context, error)
        self._decided(None)
        return pb.InvoiceAnswer(invoice=invoice_to_pb(invoice), receipt_pdf=receipt_pdf)

    def _decided(self, key: ErrorKey | None) -> None:
        """Log and count a cancellation decided: done (None) or refused with key."""
        outcome, fault_key = outcome_of(key)
        log.info("cancellation " + ("done" if key is None else "refused"), extra={"fault_key": fault_key})
        if self._counted is not None:
            self._counted.labels(outcome=outcome, fault_key=fault_key).inc()

    def CancelInvoice(self, request, context):
        if request.id <= 0:
            abort_with(context, DomainError(ErrorKey.ANULACION_FACTURA_OBLIGATORIA))
        query = pb.InvoiceById(caller=_own_writes(request.caller), id=request.id)
        return self._run(context, request.caller, lambda **kw: self._status.GetInvoice(query, **kw), request.reason)

    def CancelInvoiceByTuple(self, request, context):
        if not request.tuple.supplier_nif or not request.tuple.number:
            abort_with(context, DomainError(ErrorKey.ANULACION_FACTURA_OBLIGATORIA))
        query = pb.InvoiceByTuple(caller=_own_writes(request.caller), tuple=request.tuple)
        return self._run(context, request.caller, lambda **kw: self._status.FindInvoice(query, **kw), request.reason)

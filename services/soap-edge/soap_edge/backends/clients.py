"""One typed client per backend service; every call under its deadline, every failure a catalogue error."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import grpc

from ventanilla.adapters import submission_stream
from ventanilla.adapters.grpc_errors import domain_error_of
from ventanilla.adapters.submission_stream import Attachment, Content
from ventanilla.api.v1 import invoice_pb2, services_pb2 as pb, services_pb2_grpc as rpc
from ventanilla.config import Deadlines
from ventanilla.domain.errors import REGISTRATION_IN_DOUBT, DomainError, ErrorKey

from soap_edge.backends.channels import Channels
from soap_edge.backends.state_batches import MAX_ITEMS, StateBatches

log = logging.getLogger("soap_edge.backends")

_UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
_NOT_YOURS = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED}


def unreachable(key: ErrorKey, label: str) -> DomainError:
    """The error of a backend out of reach (UNAVAILABLE or past the deadline), under its own key."""
    return DomainError(key, f"El servicio {label} no está disponible en este momento; "
                            "inténtelo de nuevo en unos minutos.")


def catalogue_error(backend: str, request, error: grpc.RpcError, down: DomainError) -> DomainError:
    """The catalogue error a failed call stands for: the backend's own key, else the closest one."""
    known = domain_error_of(error)
    if known is not None:
        return known
    code = error.code()
    log.warning("backend call failed", extra={"backend": backend, "request": type(request).__name__,
                                             "grpc_code": code.name, "grpc_details": error.details()})
    if code in _UNREACHABLE:
        return down
    if code in _NOT_YOURS:
        return DomainError(ErrorKey.FACTURA_INVALIDA)
    return DomainError(ErrorKey.REGISTRO)


class _Client:
    """A backend's stub, called under a deadline; down: what its being out of reach means to the caller."""

    backend: str
    stub_class: type
    down: DomainError

    def __init__(self, channels: Channels, deadlines: Deadlines):
        self._channels, self._deadlines = channels, deadlines

    def _stub(self):
        return self._channels.stub(self.backend, self.stub_class)

    def _query(self, method, request):
        return self._call(method, request, self._deadlines.query_s)

    def _write(self, method, request, down: DomainError | None = None):
        return self._call(method, request, self._deadlines.write_s, down)

    def _call(self, method, request, deadline_s: float, down: DomainError | None = None):
        try:
            return method(request, timeout=deadline_s, wait_for_ready=True)
        except grpc.RpcError as error:
            raise catalogue_error(self.backend, request, error, down or self.down) from None


class RegistryClient(_Client):
    """RegistryService: registrations and their receipts."""

    backend, stub_class = "registry", rpc.RegistryServiceStub
    down = unreachable(ErrorKey.REGISTRO, "de registro")
    # a submission that broke off may have registered before it did: resubmitting tells
    in_doubt = DomainError(ErrorKey.REGISTRO, f"El servicio de registro no está disponible en este momento. "
                                              f"{REGISTRATION_IN_DOUBT}")

    def submit(self, caller: pb.Caller, facturae: Content,
               attachments: Sequence[Attachment]) -> pb.SubmitInvoiceResponse:
        """Register a Facturae document and its attachments: one message when small, else streamed in parts of
        ~256 KB (no whole copy of a large body's parts)."""
        if submission_stream.fits_one_message(facturae, attachments):
            request = submission_stream.one_message(caller, facturae, attachments)
            return self._write(self._stub().SubmitInvoice, request, down=self.in_doubt)
        parts = submission_stream.parts(caller, facturae, attachments)
        return self._write(self._stub().SubmitInvoiceStream, parts, down=self.in_doubt)

    def receipt(self, csv: str) -> bytes | None:
        """The sealed receipt filed under a secure verification code; None when there is none."""
        try:
            return self._query(self._stub().GetReceipt, pb.ReceiptByCsv(csv=csv)).receipt_pdf
        except DomainError as error:
            if error.key is ErrorKey.FACTURA_INVALIDA:  # NOT_FOUND
                return None
            raise


class StatusClient(_Client):
    """StatusService: invoices and their states, as the caller may see them."""

    backend, stub_class = "status", rpc.StatusServiceStub
    down = unreachable(ErrorKey.REGISTRO, "de consulta")

    def __init__(self, channels: Channels, deadlines: Deadlines, batching: Batching | None = None):
        super().__init__(channels, deadlines)
        batching = batching or Batching()
        self._batches = StateBatches(lambda: self._stub().GetStateBatch,
                                     lambda request, error: catalogue_error(self.backend, request, error, self.down),
                                     self.down, batching.traced, batching.observed, batching.max_items,
                                     batching.linger_s)

    def state(self, caller: pb.Caller, invoice_id: int) -> pb.StateItem:
        """One invoice's state by id, in a batch with other callers' when a call is in flight (its error inside)."""
        return self._batches.state(caller, invoice_id, self._deadlines.query_s)

    def state_by_tuple(self, caller: pb.Caller, key: invoice_pb2.InvoiceTuple) -> pb.StateItem:
        """One invoice's state by its business tuple, batched as `state`."""
        return self._batches.state_by_tuple(caller, key, self._deadlines.query_s)

    def invoice(self, caller: pb.Caller, invoice_id: int) -> pb.InvoiceAnswer:
        """One invoice by id."""
        return self._query(self._stub().GetInvoice, pb.InvoiceById(caller=caller, id=invoice_id))

    def invoice_by_tuple(self, caller: pb.Caller, key: invoice_pb2.InvoiceTuple) -> pb.InvoiceAnswer:
        """One invoice by its business tuple."""
        return self._query(self._stub().FindInvoice, pb.InvoiceByTuple(caller=caller, tuple=key))

    def states(self, caller: pb.Caller, ids: Iterable[int]) -> pb.StatesAnswer:
        """The states of invoices by id, item by item in request order."""
        return self._query(self._stub().GetStates, pb.StatesByIds(caller=caller, ids=ids))

    def states_by_tuples(self, caller: pb.Caller, keys: Iterable[invoice_pb2.InvoiceTuple]) -> pb.StatesAnswer:
        """The states of invoices by business tuple, item by item in request order."""
        return self._query(self._stub().FindStates, pb.StatesByTuples(caller=caller, tuples=keys))


class CancellationClient(_Client):
    """CancellationService: requests to cancel an invoice."""

    backend, stub_class = "cancellation", rpc.CancellationServiceStub
    # PeFAC's own cancellation fails on its back-office connection with sefcan.socket.timeout (docs/architecture.md)
    down = unreachable(ErrorKey.SEFCAN_TIMEOUT, "de anulación")

    def cancel(self, caller: pb.Caller, invoice_id: int, reason: str) -> pb.InvoiceAnswer:
        """Ask to cancel an invoice by id."""
        request = pb.CancelById(caller=caller, id=invoice_id, reason=reason)
        return self._write(self._stub().CancelInvoice, request)

    def cancel_by_tuple(self, caller: pb.Caller, key: invoice_pb2.InvoiceTuple, reason: str) -> pb.InvoiceAnswer:
        """Ask to cancel an invoice by its business tuple."""
        request = pb.CancelByTuple(caller=caller, tuple=key, reason=reason)
        return self._write(self._stub().CancelInvoiceByTuple, request)


@dataclass(frozen=True)
class Batching:
    """How the status client batches queries of one state: whether tracing is on (members' contexts kept), what sees
    each batch's size, the most queries per call, and how long a call may wait for the queries it expects."""

    traced: bool = False
    observed: Callable[[int], None] | None = None
    max_items: int = MAX_ITEMS
    linger_s: float = 0.0


class Backends:
    """The edge's three backends over one set of channels, and whether they are ready."""

    def __init__(self, channels: Channels, deadlines: Deadlines, batching: Batching | None = None):
        self.registry = RegistryClient(channels, deadlines)
        self.status = StatusClient(channels, deadlines, batching)
        self.cancellation = CancellationClient(channels, deadlines)
        self.ready = channels.ready
        self.close = channels.close

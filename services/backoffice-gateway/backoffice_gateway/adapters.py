"""The gateway's real adapters: the back-office topic (Kafka) and the status service's BackOfficeService (gRPC)."""
from __future__ import annotations

from typing import Callable

import grpc
from kafka.errors import KafkaError

from ventanilla.adapters.event_log import invoice_partition_key
from ventanilla.adapters.grpc_errors import domain_error_of
from ventanilla.adapters.grpc_server import RECONNECT_OPTIONS
from ventanilla.adapters.publisher import Publisher
from ventanilla.adapters.service_tls import channel
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import backoffice_pb2_grpc
from ventanilla.config import ServiceTls
from backoffice_gateway.ports import BackendUnavailable, InvoiceNotFound, Stamp
from backoffice_gateway.stamping import stamped


class KafkaOutbox:
    """Appends to the back-office topic (idempotent, acks=all), keyed by invoice so each keeps one partition."""

    def __init__(self, publisher: Publisher, topic: str):
        self._publisher, self._topic = publisher, topic

    def append(self, body: str, message, stamp: Stamp) -> None:
        """Append the stamped record and wait for the broker's acknowledgement; BackendUnavailable when it does not
        come."""
        try:
            self._publisher.publish(self._topic, invoice_partition_key(message.invoice_id),
                                    stamped(body, message, stamp).SerializeToString(deterministic=True))
        except KafkaError as error:
            raise BackendUnavailable(str(error)) from error

    def close(self, timeout_s: float | None = None) -> None:
        """Flush and close the producer within timeout_s (a stop's budget), else the publishing timeout."""
        self._publisher.close(timeout_s)


class StatusBackOffice:
    """The status service's internal BackOfficeService over gRPC (mutual TLS as the gateway)."""

    def __init__(self, tls: ServiceTls, address: str, deadline_s: float,
                 intercepted: Callable[[grpc.Channel], grpc.Channel] = lambda plain: plain):
        self._channel = channel(tls, "backoffice-gateway", "status", address, RECONNECT_OPTIONS)
        self._stub = backoffice_pb2_grpc.BackOfficeServiceStub(intercepted(self._channel))
        self._deadline_s = deadline_s

    def _ask(self, method, request):
        try:
            return method(request, timeout=self._deadline_s)
        except grpc.RpcError as error:
            if domain_error_of(error) is not None:  # the status service's "no such invoice"
                raise InvoiceNotFound(error.details()) from error
            raise BackendUnavailable(f"{error.code().name}: {error.details()}") from error

    def history(self, invoice_id: int) -> pb.History:
        """The invoice's history and centres."""
        return self._ask(self._stub.GetHistory, pb.HistoryRequest(invoice_id=invoice_id))

    def documents(self, invoice_id: int) -> pb.Documents:
        """The invoice's Facturae and attachments."""
        return self._ask(self._stub.GetDocuments, pb.DocumentsRequest(invoice_id=invoice_id))

    def close(self, _timeout_s: float | None = None) -> None:
        """Close the channel (at once: the calls under way are cancelled; a stop lets them finish first)."""
        self._channel.close()

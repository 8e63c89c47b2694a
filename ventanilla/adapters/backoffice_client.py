"""A client of the back-office gateway over mutual TLS: what `ventanilla backoffice` and the load kit call with."""
from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import grpc

from ventanilla.adapters.grpc_server import RECONNECT_OPTIONS
from ventanilla.adapters.invoice_messages import timestamp
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import backoffice_pb2_grpc, invoice_pb2


def state_update(invoice_id: int, estado: str, motivo: str, at: datetime, message_id: str = "") -> pb.BackOfficeStateUpdate:
    """A request moving an invoice to estado (a new message id unless one is given: repeat one for a retry)."""
    return pb.BackOfficeStateUpdate(invoice_id=invoice_id, state=invoice_pb2.InvoiceState.Value(estado),
                                    observaciones=motivo, message_id=message_id or str(uuid.uuid4()),
                                    occurred_at=timestamp(at))


def verdict(invoice_id: int, accept: bool, motivo: str, at: datetime, message_id: str = "") -> pb.CancellationVerdict:
    """A request accepting or rejecting an invoice's pending cancellation."""
    return pb.CancellationVerdict(invoice_id=invoice_id, motivo=motivo, message_id=message_id or str(uuid.uuid4()),
                                  verdict=pb.CancellationVerdict.ACCEPTED if accept else pb.CancellationVerdict.REJECTED,
                                  occurred_at=timestamp(at))


class GatewayClient:
    """The BackOfficeGateway stub on a mutual-TLS channel (the server's CA, the back office's certificate and key)."""

    def __init__(self, address: str, server_ca: Path, certificate: Path, key: Path, deadline_s: float = 15.0,
                 server_name: str = ""):
        credentials = grpc.ssl_channel_credentials(server_ca.read_bytes(), key.read_bytes(), certificate.read_bytes())
        options = RECONNECT_OPTIONS + ((("grpc.ssl_target_name_override", server_name),) if server_name else ())
        self._channel = grpc.secure_channel(address, credentials, options=options)
        self._stub = backoffice_pb2_grpc.BackOfficeGatewayStub(self._channel)
        self._deadline_s = deadline_s

    def update_state(self, request: pb.BackOfficeStateUpdate) -> pb.Accepted:
        return self._stub.UpdateState(request, timeout=self._deadline_s)

    def decide_cancellation(self, request: pb.CancellationVerdict) -> pb.Accepted:
        return self._stub.DecideCancellation(request, timeout=self._deadline_s)

    def history(self, invoice_id: int) -> pb.History:
        return self._stub.GetHistory(pb.HistoryRequest(invoice_id=invoice_id), timeout=self._deadline_s)

    def documents(self, invoice_id: int) -> pb.Documents:
        return self._stub.GetDocuments(pb.DocumentsRequest(invoice_id=invoice_id), timeout=self._deadline_s)

    def close(self) -> None:
        self._channel.close()

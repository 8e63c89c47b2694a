"""The BackOfficeGateway gRPC service: reads the verified peer certificate, calls the use case, maps refusals."""
from __future__ import annotations

import ssl

import grpc

from ventanilla.api.v1 import backoffice_pb2 as pb, backoffice_pb2_grpc
from backoffice_gateway.handlers import Accepted, Call, Gateway, Refused


def call_of(context: grpc.ServicerContext, method: str) -> Call:
    """Who is calling: the client certificate verified in the TLS handshake (DER), if any, and the peer."""
    pem = (context.auth_context().get("x509_pem_cert") or [None])[0]
    certificate = ssl.PEM_cert_to_DER_cert(pem.decode("ascii")) if pem else None
    return Call(method, context.peer(), certificate)


def accepted_to_pb(accepted: Accepted) -> pb.Accepted:
    """The answer to an appended message."""
    return pb.Accepted(invoice_id=accepted.invoice_id, message_id=accepted.message_id,
                       source_system=accepted.source_system)


class GatewayApi(backoffice_pb2_grpc.BackOfficeGatewayServicer):
    """Thin handlers: every method authenticates and authorizes in the use case."""

    def __init__(self, gateway: Gateway):
        self._gateway = gateway

    def _serve(self, context, method: str, action):
        try:
            return action(call_of(context, method))
        except Refused as refused:
            context.abort(getattr(grpc.StatusCode, refused.code), refused.message)

    def UpdateState(self, request, context):
        return self._serve(context, "UpdateState", lambda call: accepted_to_pb(self._gateway.update_state(call, request)))

    def DecideCancellation(self, request, context):
        return self._serve(context, "DecideCancellation",
                           lambda call: accepted_to_pb(self._gateway.decide_cancellation(call, request)))

    def GetDocuments(self, request, context):
        return self._serve(context, "GetDocuments", lambda call: self._gateway.documents(call, request.invoice_id))

    def GetHistory(self, request, context):
        return self._serve(context, "GetHistory", lambda call: self._gateway.history(call, request.invoice_id))

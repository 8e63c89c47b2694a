"""A gRPC client of the back-office gateway over mutual TLS (tests)."""
from __future__ import annotations

import grpc
from cryptography.hazmat.primitives import serialization

from ventanilla import pki
from ventanilla.api.v1 import backoffice_pb2_grpc


def pem_key(issued: pki.Issued) -> bytes:
    return issued.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())


def channel(address: str, server_ca: bytes, client: pki.Issued | None) -> grpc.Channel:
    """A channel trusting server_ca, presenting client's certificate (or none)."""
    if client is None:
        credentials = grpc.ssl_channel_credentials(root_certificates=server_ca)
    else:
        credentials = grpc.ssl_channel_credentials(server_ca, pem_key(client), pki.pem(client.certificate))
    return grpc.secure_channel(address, credentials, options=(("grpc.ssl_target_name_override", "localhost"),))


def stub(address: str, server_ca: bytes, client: pki.Issued | None) -> backoffice_pb2_grpc.BackOfficeGatewayStub:
    return backoffice_pb2_grpc.BackOfficeGatewayStub(channel(address, server_ca, client))

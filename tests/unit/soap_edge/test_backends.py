"""gRPC backends: lazy per-process channels, deadlines, error translation, health checks."""
from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2

from ventanilla.adapters.grpc_errors import ERROR_KEY_HEADER
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import REGISTRATION_IN_DOUBT, DomainError, ErrorKey, Side

from soap_edge import backends as backends_module
from soap_edge.backends import Backends

ADDRESSES = {"registry": "r:1", "status": "s:2", "cancellation": "c:3"}


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, details="", trailing=()):
        self._code, self._details, self._trailing = code, details, trailing

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailing


class FakeChannel:
    """Answers every unary call with `behaviour(path, request, timeout)`."""

    def __init__(self, address, behaviour, options):
        self.address, self.behaviour, self.options, self.closed = address, behaviour, options, False

    def unary_unary(self, path, *args, **kwargs):
        behaviour = self.behaviour

        class Call:
            def __call__(self, request, timeout=None, **_):
                return behaviour(path, request, timeout)

            def future(self, request, timeout=None, **_):
                class Future:
                    def result(self_inner):
                        return behaviour(path, request, timeout)
                return Future()
        return Call()

    unary_stream = unary_unary

    def close(self):
        self.closed = True


def make(behaviour, deadline_s=7.5):
    opened = []

    def open_channel(address, options):
        opened.append(FakeChannel(address, behaviour, options))
        return opened[-1]
    return Backends(ADDRESSES, deadline_s, 1 << 24, open_channel), opened


def test_channels_open_lazily_once_per_process_and_calls_carry_the_deadline(monkeypatch):
    seen = []
    backends, opened = make(lambda path, request, timeout: seen.append((path, timeout)) or pb.InvoiceAnswer())
    assert opened == []
    backends.call("status", "GetInvoice", pb.InvoiceById(id=1))
    backends.call("status", "GetInvoice", pb.InvoiceById(id=2))
    assert [c.address for c in opened] == ["s:2"]
    assert seen == [("/ventanilla.v1.StatusService/GetInvoice", 7.5)] * 2
    assert ("grpc.max_receive_message_length", 1 << 24) in opened[0].options
    monkeypatch.setattr(backends_module.os, "getpid", lambda: -1)  # as after a fork
    backends.call("status", "GetInvoice", pb.InvoiceById(id=3))
    assert [c.address for c in opened] == ["s:2", "s:2"]


def failing(error):
    def behaviour(path, request, timeout):
        raise error
    return behaviour


def test_catalogue_errors_from_trailing_metadata_pass_through():
    error = FakeRpcError(grpc.StatusCode.FAILED_PRECONDITION, "La factura ya ha sido enviada.",
                         ((ERROR_KEY_HEADER, "facturae.error.validation.facturaRepetida"),))
    backends, _ = make(failing(error))
    with pytest.raises(DomainError) as caught:
        backends.call("registry", "SubmitInvoice", pb.SubmitInvoiceRequest())
    assert caught.value.key is ErrorKey.FACTURA_REPETIDA and caught.value.detail == "La factura ya ha sido enviada."


@pytest.mark.parametrize("service, method, code, key", [
    ("registry", "SubmitInvoice", grpc.StatusCode.UNAVAILABLE, ErrorKey.REGISTRO),
    ("registry", "SubmitInvoice", grpc.StatusCode.DEADLINE_EXCEEDED, ErrorKey.REGISTRO),
    ("status", "GetInvoice", grpc.StatusCode.UNAVAILABLE, ErrorKey.REGISTRO),
    # a cancellation out of reach is not a registration error (issue 9)
    ("cancellation", "CancelInvoice", grpc.StatusCode.UNAVAILABLE, ErrorKey.SEFCAN_TIMEOUT),
    ("cancellation", "CancelInvoice", grpc.StatusCode.DEADLINE_EXCEEDED, ErrorKey.SEFCAN_TIMEOUT),
    ("cancellation", "CancelInvoice", grpc.StatusCode.INTERNAL, ErrorKey.REGISTRO),
    ("cancellation", "CancelInvoice", grpc.StatusCode.NOT_FOUND, ErrorKey.FACTURA_INVALIDA),
    ("cancellation", "CancelInvoice", grpc.StatusCode.PERMISSION_DENIED, ErrorKey.FACTURA_INVALIDA),
])
def test_other_failures_get_the_closest_key(service, method, code, key):
    backends, _ = make(failing(FakeRpcError(code, "stack trace with internals")))
    with pytest.raises(DomainError) as caught:
        backends.call(service, method, pb.CancelById())
    assert caught.value.key is key and "internals" not in caught.value.detail
    assert caught.value.key.side is (Side.CLIENT if key is ErrorKey.FACTURA_INVALIDA else Side.SERVER)


def test_backend_down_is_a_readable_server_error():
    backends, _ = make(failing(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection refused")))
    with pytest.raises(DomainError) as caught:
        backends.call("registry", "SubmitInvoice", pb.SubmitInvoiceRequest())
    assert caught.value.key.side is Side.SERVER
    assert caught.value.detail.startswith("El servicio de registro no está disponible")
    assert REGISTRATION_IN_DOUBT in caught.value.detail  # the call may have broken after it registered


def test_a_broken_write_other_than_a_registration_is_only_unavailable():
    backends, _ = make(failing(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection reset")))
    with pytest.raises(DomainError) as caught:
        backends.call("status", "GetInvoice", pb.InvoiceById())
    assert REGISTRATION_IN_DOUBT not in caught.value.detail


def test_ready_checks_every_backend_with_the_standard_health_service():
    def behaviour(path, request, timeout):
        assert path == "/grpc.health.v1.Health/Check" and request.service == "" and timeout == 2.0
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
    backends, opened = make(behaviour)
    assert backends.ready() == {"registry": True, "status": True, "cancellation": True}


def test_ready_is_false_for_a_backend_that_fails_or_is_not_serving():
    def behaviour(path, request, timeout):
        raise FakeRpcError(grpc.StatusCode.UNAVAILABLE)
    backends, _ = make(behaviour)
    assert backends.ready() == {"registry": False, "status": False, "cancellation": False}
    not_serving = make(lambda *_: health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.NOT_SERVING))[0]
    assert set(not_serving.ready().values()) == {False}


def test_close_closes_this_process_channels():
    backends, opened = make(lambda *_: pb.InvoiceAnswer())
    backends.call("registry", "SubmitInvoice", pb.SubmitInvoiceRequest())
    backends.close()
    assert opened[0].closed

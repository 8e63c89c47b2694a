"""gRPC backends: lazy per-process channels, typed clients, deadlines, error translation, health checks."""
from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2

from ventanilla.adapters import submission_stream
from ventanilla.adapters.grpc_errors import ERROR_KEY_HEADER
from ventanilla.adapters.submission_stream import ONE_MESSAGE_BYTES, Attachment, Submission
from ventanilla.api.v1 import invoice_pb2 as ipb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import REGISTRATION_IN_DOUBT, DomainError, ErrorKey, Side

from soap_edge.backends import channels as channels_module
from soap_edge.backends.channels import Channels
from soap_edge.backends.clients import Backends
from ventanilla.config import Deadlines

from .fakes import FakeRpcError

ADDRESSES = {"registry": "r:1", "status": "s:2", "cancellation": "c:3"}
CALLER = pb.Caller(nif="12345678Z", request_id="r")
LARGE = memoryview(bytes(ONE_MESSAGE_BYTES + 1))  # a document one byte over what goes in one message


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

    def stream_unary(self, path, *args, **kwargs):
        """A client stream, seen by the behaviour as the submission its parts put back together."""
        call = self.unary_unary(path)
        return lambda parts, timeout=None, **_: call(submission_stream.reassembled(parts), timeout)

    def close(self):
        self.closed = True


def make(behaviour, deadline_s=7.5, write_s=None):
    opened = []

    def open_channel(address, options):
        opened.append(FakeChannel(address, behaviour, options))
        return opened[-1]
    deadlines = Deadlines(query_s=deadline_s, write_s=deadline_s if write_s is None else write_s,
                          read_your_writes_s=5.0)
    return Backends(Channels(ADDRESSES, 1 << 24, open_channel), deadlines), opened


def test_a_spread_backend_has_its_calls_round_robin_over_channels_of_their_own():
    opened, used = [], []

    def open_channel(address, options):
        opened.append(FakeChannel(address, lambda *_: used.append(channel) or pb.SubmitInvoiceResponse(), options))
        channel = opened[-1]
        return channel
    channels = Channels(ADDRESSES, 1 << 24, open_channel, spread={"registry": 3})
    backends = Backends(channels, Deadlines(query_s=1, write_s=1, read_your_writes_s=1))
    for _ in range(6):
        backends.registry.submit(CALLER, b"", [])
    backends.status.invoice(CALLER, 1)
    registry = [c for c in opened if c.address == "r:1"]
    assert len(registry) == 3 and used == registry * 2 + [opened[-1]]
    # each its own connection (no shared subchannel); a backend with one channel keeps the default pool
    assert all(channels_module.OWN_CONNECTION in c.options for c in registry)
    assert channels_module.OWN_CONNECTION not in opened[-1].options


def call(backends: Backends, service: str, method: str):
    """The typed client method standing for service.method (the RPC it makes)."""
    return {
        ("registry", "SubmitInvoice"): lambda: backends.registry.submit(CALLER, b"", []),
        ("registry", "SubmitInvoiceStream"): lambda: backends.registry.submit(CALLER, LARGE, []),
        ("status", "GetInvoice"): lambda: backends.status.invoice(CALLER, 1),
        ("cancellation", "CancelInvoice"): lambda: backends.cancellation.cancel(CALLER, 1, ""),
    }[service, method]()


def test_channels_open_lazily_once_per_process_and_calls_carry_the_deadline(monkeypatch):
    seen = []
    backends, opened = make(lambda path, request, timeout: seen.append((path, timeout)) or pb.InvoiceAnswer())
    assert opened == []
    backends.status.invoice(CALLER, 1)
    backends.status.invoice(CALLER, 2)
    assert [c.address for c in opened] == ["s:2"]
    assert seen == [("/ventanilla.v1.StatusService/GetInvoice", 7.5)] * 2
    assert ("grpc.max_receive_message_length", 1 << 24) in opened[0].options
    monkeypatch.setattr(channels_module.os, "getpid", lambda: -1)  # as after a fork
    backends.status.invoice(CALLER, 3)
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
        backends.registry.submit(CALLER, b"", [])
    assert caught.value.key is ErrorKey.FACTURA_REPETIDA and caught.value.detail == "La factura ya ha sido enviada."


@pytest.mark.parametrize("service, method, code, key", [
    ("registry", "SubmitInvoice", grpc.StatusCode.UNAVAILABLE, ErrorKey.REGISTRO),
    ("registry", "SubmitInvoice", grpc.StatusCode.DEADLINE_EXCEEDED, ErrorKey.REGISTRO),
    ("registry", "SubmitInvoiceStream", grpc.StatusCode.UNAVAILABLE, ErrorKey.REGISTRO),
    ("registry", "SubmitInvoiceStream", grpc.StatusCode.DEADLINE_EXCEEDED, ErrorKey.REGISTRO),
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
        call(backends, service, method)
    assert caught.value.key is key and "internals" not in caught.value.detail
    assert caught.value.key.side is (Side.CLIENT if key is ErrorKey.FACTURA_INVALIDA else Side.SERVER)


def test_backend_down_is_a_readable_server_error():
    backends, _ = make(failing(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection refused")))
    with pytest.raises(DomainError) as caught:
        backends.registry.submit(CALLER, b"", [])
    assert caught.value.key.side is Side.SERVER
    assert caught.value.detail.startswith("El servicio de registro no está disponible")
    assert REGISTRATION_IN_DOUBT in caught.value.detail  # the call may have broken after it registered


def test_a_broken_write_other_than_a_registration_is_only_unavailable():
    backends, _ = make(failing(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection reset")))
    with pytest.raises(DomainError) as caught:
        backends.status.invoice(CALLER, 1)
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
    backends.registry.submit(CALLER, b"", [])
    backends.close()
    assert opened[0].closed


def test_every_typed_call_makes_its_rpc_with_the_caller_under_its_deadline():
    seen = []
    backends, _ = make(lambda path, request, timeout: seen.append((path, request, timeout)) or pb.InvoiceAnswer(),
                       deadline_s=7.5, write_s=20.0)
    key = ipb.InvoiceTuple(supplier_nif="B23103039", year=2014)
    backends.registry.submit(CALLER, b"<Facturae/>", [Attachment("a.pdf", memoryview(b"%PDF"))])
    backends.registry.receipt("ABC")
    backends.status.invoice(CALLER, 7)
    backends.status.invoice_by_tuple(CALLER, key)
    backends.status.states(CALLER, [7, 8])
    backends.status.states_by_tuples(CALLER, [key])
    backends.cancellation.cancel(CALLER, 7, "motivo")
    backends.cancellation.cancel_by_tuple(CALLER, key, "motivo")
    assert [(path.rsplit("/", 1)[1], timeout) for path, _, timeout in seen] == [
        ("SubmitInvoice", 20.0), ("GetReceipt", 7.5), ("GetInvoice", 7.5), ("FindInvoice", 7.5), ("GetStates", 7.5),
        ("FindStates", 7.5), ("CancelInvoice", 20.0), ("CancelInvoiceByTuple", 20.0)]
    assert seen[0][1] == pb.SubmitInvoiceRequest(caller=CALLER, facturae=b"<Facturae/>",
                                                 attachments=[pb.Attachment(name="a.pdf", content=b"%PDF")])
    assert seen[1][1] == pb.ReceiptByCsv(csv="ABC")
    assert all(request.caller == CALLER for _, request, _ in seen[2:])
    assert seen[7][1] == pb.CancelByTuple(caller=CALLER, tuple=key, reason="motivo")


def test_a_state_query_alone_goes_at_once_as_a_batch_of_one_under_the_query_deadline():
    seen = []
    item = pb.StateItem(state=ipb.PAGADA)
    backends, _ = make(lambda path, request, timeout: seen.append((path, request, timeout)) or pb.StatesAnswer(
        items=[item]), deadline_s=7.5)
    key = ipb.InvoiceTuple(supplier_nif="B23103039", year=2014)
    assert backends.status.state(CALLER, 7) == item and backends.status.state_by_tuple(CALLER, key) == item
    assert [(path.rsplit("/", 1)[1], request) for path, request, _ in seen] == [
        ("GetStateBatch", pb.StateQueries(queries=[pb.StateQuery(caller=CALLER, id=7)])),
        ("GetStateBatch", pb.StateQueries(queries=[pb.StateQuery(caller=CALLER, tuple=key)]))]
    assert all(7.0 < timeout <= 7.5 for _, _, timeout in seen)


def test_a_submission_over_one_message_is_streamed_to_the_registry_and_arrives_whole():
    seen = []
    backends, _ = make(lambda path, request, timeout: seen.append((path, request, timeout)) or pb.InvoiceAnswer(),
                       write_s=20.0)
    document, pdf = bytearray(b"<Facturae/>" * (ONE_MESSAGE_BYTES // 11)), memoryview(b"%PDF" * 1000)
    backends.registry.submit(CALLER, memoryview(document), [Attachment("a.pdf", pdf)])
    backends.registry.submit(CALLER, memoryview(document)[:ONE_MESSAGE_BYTES - 4000], [Attachment("a.pdf", pdf)])
    (path, request, timeout), (small_path, small, _) = seen
    assert (path.rsplit("/", 1)[1], timeout) == ("SubmitInvoiceStream", 20.0)
    assert request == Submission(CALLER, bytes(document), [Attachment("a.pdf", bytes(pdf))])
    assert small_path.rsplit("/", 1)[1] == "SubmitInvoice"  # exactly 1 MiB in all: one message
    assert small.facturae == bytes(document[:ONE_MESSAGE_BYTES - 4000]) and small.attachments[0].content == pdf


def test_a_receipt_the_registry_does_not_know_is_none():
    backends, _ = make(failing(FakeRpcError(grpc.StatusCode.NOT_FOUND)))
    assert backends.registry.receipt("ABC") is None
    down, _ = make(failing(FakeRpcError(grpc.StatusCode.UNAVAILABLE)))
    with pytest.raises(DomainError):
        down.registry.receipt("ABC")

"""The services' allow-list: who may call which method, decided from the verified certificate's DNS names."""
from __future__ import annotations

from types import SimpleNamespace

import grpc
import pytest

from google.protobuf import descriptor_pool as pool

from ventanilla.adapters.service_tls import CALLERS, CallerCheck
from ventanilla.api.v1 import backoffice_pb2, services_pb2  # noqa: F401 - their services in the default pool
from ventanilla.logs import Everyso


class Aborted(Exception):
    pass


class Context:
    """A servicer context as gRPC's TLS gives it: the peer's identities are its subjectAltNames when it has any, else
    its common name; none without a certificate."""

    def __init__(self, names: tuple[str, ...], common_name: str = ""):
        self._key = "x509_subject_alternative_name" if names else ("x509_common_name" if common_name else None)
        self._identities = [n.encode() for n in names] or ([common_name.encode()] if common_name else None)
        self.code = None

    def peer_identity_key(self):
        return self._key

    def peer_identities(self):
        return self._identities

    def peer(self):
        return "ipv4:127.0.0.1:1"

    def abort(self, code, details):
        self.code = code
        raise Aborted(details)


def _client_streaming(method: str) -> bool:
    """Whether the method (as the protos declare it) takes a stream of requests."""
    service, name = method.strip("/").split("/")
    found = pool.Default().FindServiceByName(service).methods_by_name.get(name) if service.startswith("ventanilla") \
        else None
    return bool(found and found.client_streaming)


def _call(method: str, names: tuple[str, ...], common_name: str = ""):
    answer = lambda request, context: "answered"  # noqa: E731
    handler = (grpc.stream_unary_rpc_method_handler(answer) if _client_streaming(method)
               else grpc.unary_unary_rpc_method_handler(answer))
    checked = CallerCheck("test").intercept_service(lambda _: handler, SimpleNamespace(method=method))
    context = Context(names, common_name)
    try:
        return (checked.stream_unary if handler.request_streaming else checked.unary_unary)(iter(()), context)
    except Aborted:
        return context.code


@pytest.mark.parametrize("method", sorted(CALLERS))
def test_each_method_answers_its_callers_only(method):
    for service in ("registry", "status", "cancellation", "soap-edge", "backoffice-gateway", "portal", "health-probe"):
        expected = "answered" if service in CALLERS[method] else grpc.StatusCode.PERMISSION_DENIED
        assert _call(method, (service,)) == expected, service
    assert _call(method, ()) == grpc.StatusCode.UNAUTHENTICATED


def test_the_registry_takes_submissions_in_one_message_or_as_a_client_stream_from_the_edge_only():
    assert _client_streaming("/ventanilla.v1.RegistryService/SubmitInvoiceStream")
    assert CALLERS["/ventanilla.v1.RegistryService/SubmitInvoiceStream"] == {"soap-edge"}
    assert CALLERS["/ventanilla.v1.RegistryService/SubmitInvoice"] == {"soap-edge"}  # a small one, in one message


def test_a_method_that_answers_with_a_stream_is_closed_to_everyone():
    handler = grpc.unary_stream_rpc_method_handler(lambda request, context: iter(("answered",)))
    method = SimpleNamespace(method="/ventanilla.v1.RegistryService/SubmitInvoiceStream")
    assert CallerCheck("test").intercept_service(lambda _: handler, method) is None


def test_a_certificate_without_subject_alt_names_is_no_service_even_if_its_common_name_is_one():
    method = "/ventanilla.v1.StatusService/GetStates"
    assert _call(method, (), common_name="soap-edge") == grpc.StatusCode.UNAUTHENTICATED
    assert _call(method, ("soap-edge",), common_name="portal") == "answered"


def test_a_method_nobody_listed_is_closed_and_health_is_open():
    assert _call("/ventanilla.v1.RegistryService/Future", ("soap-edge",)) == grpc.StatusCode.PERMISSION_DENIED
    assert _call("/grpc.health.v1.Health/Check", ()) == "answered"


def test_a_refusal_is_logged_once_per_period_and_key():
    every = Everyso(60.0)
    assert every.due(("m", "portal")) and not every.due(("m", "portal")) and every.due(("m", "edge"))


def test_each_method_is_checked_by_a_handler_composed_once_and_each_call_by_its_own_caller():
    check, method = CallerCheck("test"), SimpleNamespace(method="/ventanilla.v1.StatusService/GetInvoice")
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: "answered")
    first = check.intercept_service(lambda _: handler, method)
    assert check.intercept_service(lambda _: handler, method) is first  # grpc's poller builds nothing per call
    assert first.unary_unary(None, Context(("soap-edge",))) == "answered"
    refused = Context(("portal",))
    with pytest.raises(Aborted, match="GetInvoice is not open to portal"):
        first.unary_unary(None, refused)
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    replaced = grpc.unary_unary_rpc_method_handler(lambda request, context: "replaced")
    again = check.intercept_service(lambda _: replaced, method)  # a handler continued to since: composed anew
    assert again is not first and again.unary_unary(None, Context(("soap-edge",))) == "replaced"

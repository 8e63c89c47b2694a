"""Mutual TLS between the services: credentials from the settings, channels that check they reach the service
they mean to, and each server's check of who may call which method (CALLERS, an allow-list)."""
from __future__ import annotations

import functools
import logging
from typing import Callable, Mapping

import grpc

from ventanilla.adapters.method_handlers import ComposedPerMethod
from ventanilla.config import ServiceTls
from ventanilla.logs import Everyso

log = logging.getLogger("ventanilla.service_tls")
HEALTH = "/grpc.health.v1.Health/"
SUBJECT_ALT_NAME = "x509_subject_alternative_name"  # gRPC's auth property of a certificate's subjectAltNames

# Who may call which method, by the service name its certificate carries; a method not listed: nobody.
CALLERS: Mapping[str, frozenset[str]] = {
    "/ventanilla.v1.RegistryService/SubmitInvoice": frozenset({"soap-edge"}),
    "/ventanilla.v1.RegistryService/SubmitInvoiceStream": frozenset({"soap-edge"}),
    "/ventanilla.v1.RegistryService/GetReceipt": frozenset({"soap-edge", "portal"}),
    "/ventanilla.v1.StatusService/GetInvoice": frozenset({"soap-edge", "cancellation"}),
    "/ventanilla.v1.StatusService/FindInvoice": frozenset({"soap-edge", "cancellation", "portal"}),
    "/ventanilla.v1.StatusService/GetStates": frozenset({"soap-edge"}),
    "/ventanilla.v1.StatusService/FindStates": frozenset({"soap-edge"}),
    "/ventanilla.v1.StatusService/GetStateBatch": frozenset({"soap-edge"}),
    "/ventanilla.v1.CancellationService/CancelInvoice": frozenset({"soap-edge"}),
    "/ventanilla.v1.CancellationService/CancelInvoiceByTuple": frozenset({"soap-edge"}),
    "/ventanilla.v1.BackOfficeService/GetHistory": frozenset({"backoffice-gateway"}),
    "/ventanilla.v1.BackOfficeService/GetDocuments": frozenset({"backoffice-gateway"}),
}


def server_credentials(tls: ServiceTls, service: str) -> grpc.ServerCredentials | None:
    """`service`'s certificate; client certificates required and verified against the internal CA (None: off)."""
    if not tls.enabled:
        return None
    return grpc.ssl_server_credentials([(tls.key_of(service).read_bytes(), tls.certificate_of(service).read_bytes())],
                                       root_certificates=tls.ca.read_bytes(), require_client_auth=True)


def channel(tls: ServiceTls, me: str, target: str, address: str, options=()) -> grpc.Channel:
    """A channel from service `me` to service `target` at address: its certificate must name `target`."""
    if not tls.enabled:
        return grpc.insecure_channel(address, options=list(options))
    credentials = grpc.ssl_channel_credentials(tls.ca.read_bytes(), tls.key_of(me).read_bytes(),
                                               tls.certificate_of(me).read_bytes())
    return grpc.secure_channel(address, credentials, options=[*options, ("grpc.ssl_target_name_override", target)])


def opener(tls: ServiceTls, me: str, services: Mapping[str, str]) -> Callable[..., grpc.Channel]:
    """An open_channel(address, options) for clients that know addresses only: services maps address → service."""
    return lambda address, options=(): channel(tls, me, services[address], address, options)


def caller_of(context: grpc.ServicerContext) -> frozenset[str]:
    """The service names (DNS subjectAltNames) of the verified client certificate; empty without one.

    Read as the peer's identities, which gRPC sets to the subjectAltNames when the certificate has any (else to its
    common name, which names no service here): the whole auth context would copy the certificate's PEM and every
    other property on each call (10 µs against 0.5–4 µs, measured; docs/benchmarks.md)."""
    if context.peer_identity_key() != SUBJECT_ALT_NAME:
        return frozenset()
    return _names(tuple(context.peer_identities() or ()))


@functools.lru_cache(maxsize=64)  # the few certificates' name sets that call a service
def _names(identities: tuple[bytes, ...]) -> frozenset[str]:
    return frozenset(name.decode() for name in identities)


class CallerCheck(ComposedPerMethod):
    """Lets a call through only from a service allowed to call its method (health checks: anyone who reaches the
    port); refusals are UNAUTHENTICATED (no service certificate) or PERMISSION_DENIED, logged with who tried. The
    method's allowed callers are fixed in its handler, composed once; the caller is read in the handler's thread."""

    def __init__(self, service: str, callers: Mapping[str, frozenset[str]] = CALLERS):
        super().__init__()
        self._service, self._callers, self._every = service, callers, Everyso(10.0)

    def compose(self, handler, method: str):
        """handler behind the check of its callers; None (refused) for a response-streaming one."""
        if method.startswith(HEALTH):
            return handler
        if handler.response_streaming:  # every Ventanilla method answers once: anything else is refused (fail closed)
            return None
        kind = "stream_unary" if handler.request_streaming else "unary_unary"
        allowed, behaviour = self._callers.get(method, frozenset()), getattr(handler, kind)

        def checked(request_or_iterator, context):
            caller = caller_of(context)
            if not caller & allowed:
                code = grpc.StatusCode.PERMISSION_DENIED if caller else grpc.StatusCode.UNAUTHENTICATED
                if self._every.due((method, caller)):
                    log.warning("refused", extra={"service": self._service, "method": method, "peer": context.peer(),
                                                  "caller": sorted(caller), "status": code.name})
                who = ", ".join(sorted(caller)) or "a caller without a service certificate"
                context.abort(code, f"{method} is not open to {who}")
            return behaviour(request_or_iterator, context)

        return handler._replace(**{kind: checked})


def server_options(tls: ServiceTls, service: str, interceptors: tuple = (), health: bool = True) -> dict:
    """GrpcServer's keyword arguments for `service`: its credentials, the callers' check before other interceptors,
    and (health) its plaintext health-only port, when mutual TLS is on; just the interceptors when it is off."""
    if not tls.enabled:
        return {"interceptors": interceptors}
    return {"credentials": server_credentials(tls, service), "interceptors": (CallerCheck(service), *interceptors),
            "health_address": tls.health_addresses.get(service, "") if health else ""}

"""How the kit's back offices reach Ventanilla: the back-office gateway over mutual TLS (as `ventanilla backoffice`
does) when VENTANILLA_LOAD_BACKOFFICE_GATEWAY is set, else straight to their Kafka topic (a stack whose topic ACLs
allow it: the local one)."""
from __future__ import annotations

from typing import Protocol

from ventanilla.adapters.backoffice_client import GatewayClient, state_update, verdict as verdict_request
from ventanilla.adapters.clock import SystemClock
from ventanilla.adapters.event_log import invoice_partition_key
from ventanilla.adapters.publisher import Publisher
from ventanilla.api.v1 import backoffice_pb2 as pb

from .target import Target

SOURCE = "ventanilla-load"


class BackOffice(Protocol):
    """What a back office does to an invoice."""

    def set_state(self, invoice_id: int, estado: str, motivo: str = "") -> None: ...
    def verdict(self, invoice_id: int, accept: bool, motivo: str = "") -> None: ...
    def close(self) -> None: ...


class TopicBackOffice:
    """Produces back-office contract messages to the back-office topic, acknowledged by the broker."""

    def __init__(self, bootstrap: str, topic: str):
        self._publisher, self._topic = Publisher(bootstrap, "ventanilla-load-backoffice"), topic

    def _send(self, invoice_id: int, message) -> None:
        self._publisher.publish(self._topic, invoice_partition_key(invoice_id), message.SerializeToString())

    def set_state(self, invoice_id: int, estado: str, motivo: str = "") -> None:
        update = state_update(invoice_id, estado, motivo, SystemClock().now())
        update.source_system = SOURCE
        self._send(invoice_id, pb.BackOfficeMessage(state_update=update))

    def verdict(self, invoice_id: int, accept: bool, motivo: str = "") -> None:
        request = verdict_request(invoice_id, accept, motivo, SystemClock().now())
        request.source_system = SOURCE
        self._send(invoice_id, pb.BackOfficeMessage(cancellation_verdict=request))

    def close(self) -> None:
        self._publisher.close()


class GatewayBackOffice:
    """Calls the back-office gateway with a back office's certificate (registered to an approved RCF platform)."""

    def __init__(self, client: GatewayClient):
        self._client = client

    def set_state(self, invoice_id: int, estado: str, motivo: str = "") -> None:
        self._client.update_state(state_update(invoice_id, estado, motivo, SystemClock().now()))

    def verdict(self, invoice_id: int, accept: bool, motivo: str = "") -> None:
        self._client.decide_cancellation(verdict_request(invoice_id, accept, motivo, SystemClock().now()))

    def close(self) -> None:
        self._client.close()


def connect(target: Target) -> BackOffice:
    """The back-office client for a target: its gateway when it names one, else its topic."""
    if target.backoffice_gateway:
        return GatewayBackOffice(GatewayClient(target.backoffice_gateway, target.server_ca, target.backoffice_cert,
                                               target.backoffice_key))
    return TopicBackOffice(target.kafka_bootstrap, target.backoffice_topic)

"""How the kit's back offices reach Ventanilla: today their Kafka topic (as `ventanilla backoffice` does).

Issue 12 adds an authenticated back-office API: `connect` is the one place to switch.
"""
from __future__ import annotations

from typing import Protocol

from ventanilla.adapters.event_log import invoice_partition_key
from ventanilla.adapters.publisher import Publisher
from ventanilla.cli_backoffice import state_update_message, verdict_message

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
        self._send(invoice_id, state_update_message(invoice_id, estado, motivo, SOURCE))

    def verdict(self, invoice_id: int, accept: bool, motivo: str = "") -> None:
        self._send(invoice_id, verdict_message(invoice_id, accept, motivo, SOURCE))

    def close(self) -> None:
        self._publisher.close()


def connect(target: Target) -> BackOffice:
    """The back-office client for a target."""
    return TopicBackOffice(target.kafka_bootstrap, target.backoffice_topic)

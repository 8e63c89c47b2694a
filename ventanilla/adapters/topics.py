"""The Kafka topics Ventanilla needs, as data, and the one function that creates them."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from kafka.admin import KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError, for_code

from ventanilla.adapters import kafka_clients
from ventanilla.config import Settings, Topics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    """One topic: its role (the name log exports record it by), the variable overriding its name, where its name and
    partition count are read from the settings' Topics group, its configs."""

    role: str
    name_variable: str
    name_of: Callable[[Topics], str]
    partitions_of: Callable[[Topics], int]
    configs: tuple[tuple[str, str], ...] = ()

    def name(self, settings: Settings) -> str:
        """The topic's name under these settings."""
        return self.name_of(settings.topics)

    def request(self, settings: Settings) -> dict:
        """The create-topics request entry for this topic under these settings."""
        replication = settings.topics.replication_factor
        configs = dict(self.configs)
        if replication > 1:
            configs.setdefault("min.insync.replicas", str(min(2, replication - 1)))
        return {"num_partitions": self.partitions_of(settings.topics), "replication_factor": replication,
                "configs": configs}


_FOREVER = (("retention.ms", "-1"), ("retention.bytes", "-1"), ("cleanup.policy", "delete"),
            ("unclean.leader.election.enable", "false"))


def _days(days: int) -> tuple[tuple[str, str], ...]:
    return (("retention.ms", str(days * 24 * 3600 * 1000)), ("cleanup.policy", "delete"))


TOPICS: tuple[TopicSpec, ...] = (
    # The invoice event log is a legal record: kept forever, never compacted.
    TopicSpec("invoice_events_topic", "VENTANILLA_INVOICE_EVENTS_TOPIC", lambda t: t.invoice_events,
              lambda t: t.invoice_events_partitions, _FOREVER),
    # Back-office contract topics (docs/backoffice.md): messages in, feedback and notices out.
    TopicSpec("backoffice_updates_topic", "VENTANILLA_BACKOFFICE_UPDATES_TOPIC", lambda t: t.backoffice_updates,
              lambda t: t.backoffice_partitions, _days(30)),
    TopicSpec("backoffice_feedback_topic", "VENTANILLA_BACKOFFICE_FEEDBACK_TOPIC", lambda t: t.backoffice_feedback,
              lambda t: t.backoffice_partitions, _days(30)),
    TopicSpec("invoices_registered_topic", "VENTANILLA_INVOICES_REGISTERED_TOPIC", lambda t: t.invoices_registered,
              lambda t: t.backoffice_partitions, _days(90)),
    # Integrators (portal, docs/portal.md): the source of truth for certificates, platforms and units; kept forever.
    TopicSpec("integrator_events_topic", "VENTANILLA_INTEGRATOR_EVENTS_TOPIC", lambda t: t.integrator_events,
              lambda t: t.integrator_events_partitions, _FOREVER),
)


def ensure_topics(settings: Settings, specs: tuple[TopicSpec, ...] = TOPICS, timeout_s: float = 30.0) -> tuple[str, ...]:
    """Create the topics that do not exist yet and wait until all have leaders; their names."""
    wanted = {spec.name(settings): spec.request(settings) for spec in specs}
    admin = kafka_clients.admin(settings.kafka.bootstrap_servers, security=settings.kafka.security,
                                client_id="ventanilla-topics", request_timeout_ms=int(timeout_s * 1000))
    try:
        response = admin.create_topics(wanted, timeout_ms=int(timeout_s * 1000), raise_errors=False)
        for topic in response["topics"]:
            error = for_code(topic["error_code"])
            if error is TopicAlreadyExistsError:
                _check_existing(admin, topic["name"], wanted[topic["name"]]["num_partitions"])
            elif topic["error_code"]:
                raise error(f"cannot create topic {topic['name']}: {topic.get('error_message')}")
            else:
                log.info("topic created", extra={"topic": topic["name"], **wanted[topic["name"]]})
        admin.wait_for_topics(list(wanted), timeout_ms=int(timeout_s * 1000))
    finally:
        admin.close()
    return tuple(wanted)


def _check_existing(admin: KafkaAdminClient, name: str, partitions: int) -> None:
    """Warn when an existing topic's partition count differs from the wanted one (never changed here)."""
    found = {t["name"]: len(t.get("partitions") or []) for t in admin.describe_topics([name])}
    if found.get(name, partitions) != partitions:
        log.warning("topic exists with another partition count",
                    extra={"topic": name, "partitions": found[name], "wanted": partitions})

"""The Kafka topics Ventanilla needs, as data, and the one function that creates them."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError, for_code

from ventanilla.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    """One topic: the settings naming and sizing it, the variable overriding its name, its configs."""

    name_setting: str
    name_variable: str
    partitions_setting: str | None = None
    partitions: int = 1
    configs: tuple[tuple[str, str], ...] = ()

    def name(self, settings: Settings) -> str:
        """The topic's name under these settings."""
        return getattr(settings, self.name_setting)

    def request(self, settings: Settings) -> dict:
        """The create-topics request entry for this topic under these settings."""
        replication = settings.topic_replication_factor
        configs = dict(self.configs)
        if replication > 1:
            configs.setdefault("min.insync.replicas", str(min(2, replication - 1)))
        partitions = getattr(settings, self.partitions_setting) if self.partitions_setting else self.partitions
        return {"num_partitions": partitions, "replication_factor": replication, "configs": configs}


TOPICS: tuple[TopicSpec, ...] = (
    # The invoice event log is a legal record: kept forever, never compacted.
    TopicSpec("invoice_events_topic", "VENTANILLA_INVOICE_EVENTS_TOPIC", "invoice_events_partitions",
              configs=(("retention.ms", "-1"), ("retention.bytes", "-1"), ("cleanup.policy", "delete"),
                       ("unclean.leader.election.enable", "false"))),
    # Back-office contract topics (docs/backoffice.md): messages in, feedback and notices out.
    TopicSpec("backoffice_updates_topic", "VENTANILLA_BACKOFFICE_UPDATES_TOPIC", "backoffice_partitions",
              configs=(("retention.ms", str(30 * 24 * 3600 * 1000)), ("cleanup.policy", "delete"))),
    TopicSpec("backoffice_feedback_topic", "VENTANILLA_BACKOFFICE_FEEDBACK_TOPIC", "backoffice_partitions",
              configs=(("retention.ms", str(30 * 24 * 3600 * 1000)), ("cleanup.policy", "delete"))),
    TopicSpec("invoices_registered_topic", "VENTANILLA_INVOICES_REGISTERED_TOPIC", "backoffice_partitions",
              configs=(("retention.ms", str(90 * 24 * 3600 * 1000)), ("cleanup.policy", "delete"))),
    # Integrators (portal, docs/portal.md): the source of truth for certificates, platforms and units; kept forever.
    TopicSpec("integrator_events_topic", "VENTANILLA_INTEGRATOR_EVENTS_TOPIC", "integrator_events_partitions",
              configs=(("retention.ms", "-1"), ("retention.bytes", "-1"), ("cleanup.policy", "delete"),
                       ("unclean.leader.election.enable", "false"))),
)


def ensure_topics(settings: Settings, specs: tuple[TopicSpec, ...] = TOPICS, timeout_s: float = 30.0) -> tuple[str, ...]:
    """Create the topics that do not exist yet and wait until all have leaders; their names."""
    wanted = {spec.name(settings): spec.request(settings) for spec in specs}
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, client_id="ventanilla-topics",
                             request_timeout_ms=int(timeout_s * 1000))
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

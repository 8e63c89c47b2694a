"""The one place Kafka clients are built: every producer, consumer and admin client gets the security settings."""
from __future__ import annotations

import os

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient

from ventanilla.adapters import kafka_timeouts
from ventanilla.config import KafkaSecurity


def security_options(security: KafkaSecurity | None = None) -> dict:
    """kafka-python options for a security setting (read from the environment when not given); ValueError when
    SASL lacks its credentials (each deployment sets its own user; the shared configuration sets the protocol)."""
    security = security if security is not None else KafkaSecurity.from_env(os.environ)
    options: dict = {"security_protocol": security.protocol}
    if security.protocol.startswith("SASL_"):
        if not (security.sasl_username and security.sasl_password):
            raise ValueError(f"VENTANILLA_KAFKA_SECURITY_PROTOCOL={security.protocol} needs "
                             "VENTANILLA_KAFKA_SASL_USERNAME and VENTANILLA_KAFKA_SASL_PASSWORD")
        options.update(sasl_mechanism=security.sasl_mechanism, sasl_plain_username=security.sasl_username,
                       sasl_plain_password=security.sasl_password)
    if security.protocol.endswith("SSL") and security.ca_file is not None:
        options["ssl_cafile"] = str(security.ca_file)
    return options


# For a consumer that follows a topic for as long as it runs: with nothing new, the broker holds its fetch up to
# this long (a record arriving answers it at once, so no record waits for it); kafka-python's 500 ms default made
# every idle follower fetch twice a second. Its request timeout must stay above it.
FOLLOWING = {"fetch_max_wait_ms": 5000}

# For a follower nobody awaits on a request path (the registration notices): the broker answers its fetch once this
# much has gathered or the wait has passed, so a busy log costs one fetch (and one batch of whatever the consumer
# does per batch: produces, an offset commit) per half second instead of one per record; a record waits at most that.
BATCHED = {"fetch_min_bytes": 1024 * 1024, "fetch_max_wait_ms": 500}

# How long a follower's poll waits when nothing comes: a record arriving ends it at once, so this delays no record,
# only a stop (a loop sees it after its poll). Each poll costs its thread and the client's IO thread ~0.3-1 ms of CPU
# whether or not anything came: at 200 ms the status service's five followers spent ~16 ms/s idle
# (docs/benchmarks.md, "Write path (issue 15)", branch i15-broker).
POLL_MS = 1000


# kafka-python's own sensors (pure Python, updated on every fetch, request and record; read by nobody: the projections'
# lag and apply times are ProjectionWatch's) cost a follower 6-11 % of its CPU per fetched event (docs/benchmarks.md,
# "Write path (issue 15)", branch i15-projector-fetch). Off by default for every consumer, as for the event producers.
WITHOUT_SENSORS = {"metrics_enabled": False}


def consumer(bootstrap_servers: str, *, security: KafkaSecurity | None = None, **options) -> KafkaConsumer:
    """A KafkaConsumer (options as kafka-python's, over WITHOUT_SENSORS) that honours the security settings; its idle
    polls' timeouts leave no reference cycles (kafka_timeouts)."""
    kafka_timeouts.without_cycles()
    return KafkaConsumer(bootstrap_servers=bootstrap_servers, **security_options(security),
                         **{**WITHOUT_SENSORS, **options})


def producer(bootstrap_servers: str, *, security: KafkaSecurity | None = None, **options) -> KafkaProducer:
    """A KafkaProducer (options as kafka-python's) that honours the security settings."""
    return KafkaProducer(bootstrap_servers=bootstrap_servers, **security_options(security), **options)


def admin(bootstrap_servers: str, *, security: KafkaSecurity | None = None, **options) -> KafkaAdminClient:
    """A KafkaAdminClient (options as kafka-python's) that honours the security settings."""
    return KafkaAdminClient(bootstrap_servers=bootstrap_servers, **security_options(security), **options)

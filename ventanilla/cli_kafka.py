"""`ventanilla kafka start|stop|topics`: the local broker in the background, topics on any cluster; and how `run` gets a broker."""
from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from ventanilla.config import Settings

if TYPE_CHECKING:
    from ventanilla.supervisor import Supervisor

log = logging.getLogger("ventanilla.kafka")

EXTERNAL_VARIABLE = "VENTANILLA_KAFKA_EXTERNAL"


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add `kafka start`, `kafka stop` and `kafka topics`."""
    kafka = subcommands.add_parser("kafka", help="the local Kafka broker, in the background")
    actions = kafka.add_subparsers(dest="action", required=True, metavar="ACTION")
    start_ = actions.add_parser("start", help="start it (or find it running), create the topics, return when ready")
    start_.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for readiness (default 90)")
    start_.set_defaults(handler=start)
    stop_ = actions.add_parser("stop", help="stop it and wait until it has ended")
    stop_.add_argument("--timeout", type=float, default=30.0, help="seconds before SIGKILL (default 30)")
    stop_.set_defaults(handler=stop)
    topics_ = actions.add_parser("topics", help="create the topics on the cluster at the bootstrap servers")
    topics_.set_defaults(handler=topics)


def start(settings: Settings, args: argparse.Namespace) -> int:
    """Start the detached broker, wait until it accepts requests, ensure the topics."""
    from kafka.errors import KafkaError

    from ventanilla.adapters.kafka_broker import KafkaBrokerError, LocalKafkaBroker
    from ventanilla.adapters.topics import ensure_topics

    broker = LocalKafkaBroker.from_settings(settings)
    try:
        pid = broker.start_detached(args.timeout)
        ensure_topics(replace(settings, kafka=replace(settings.kafka, bootstrap_servers=broker.bootstrap_servers)))
    except (KafkaBrokerError, KafkaError) as error:
        print(f"ventanilla kafka start: {error}", file=sys.stderr)
        return 1
    print(f"Kafka ready at {broker.bootstrap_servers} (pid {pid}; log {broker.log_path})")
    return 0


def topics(settings: Settings, args: argparse.Namespace) -> int:
    """Create the topics that do not exist yet on an existing cluster (compose, another Kafka)."""
    from kafka.errors import KafkaError

    from ventanilla.adapters.topics import ensure_topics

    try:
        names = ensure_topics(settings)
    except KafkaError as error:
        print(f"ventanilla kafka topics: {error}", file=sys.stderr)
        return 1
    print(f"topics ready at {settings.kafka.bootstrap_servers}: {', '.join(names)}")
    return 0


def stop(settings: Settings, args: argparse.Namespace) -> int:
    """Stop the detached broker if it runs."""
    from ventanilla.adapters.kafka_broker import LocalKafkaBroker

    broker = LocalKafkaBroker.from_settings(settings)
    print("Kafka stopped" if broker.stop_detached(args.timeout) else "Kafka was not running")
    return 0


def start_kafka(settings: Settings, supervisor: Supervisor) -> None:
    """Give `run` a broker: an external one, a running `kafka start` one, or a new supervised child."""
    from ventanilla.adapters.kafka_broker import KafkaBrokerError, LocalKafkaBroker

    if settings.local_broker.external:  # use the broker at the bootstrap servers; start none
        log.info("using an external Kafka", extra={"bootstrap": settings.kafka.bootstrap_servers})
        return
    broker = LocalKafkaBroker.from_settings(settings)
    host, _, port = settings.kafka.bootstrap_servers.strip().rpartition(":")
    if host not in ("127.0.0.1", "localhost") or port != str(broker.port):
        raise KafkaBrokerError(
            f"VENTANILLA_KAFKA_BOOTSTRAP_SERVERS={settings.kafka.bootstrap_servers} is not the local broker "
            f"({broker.bootstrap_servers}): set {EXTERNAL_VARIABLE}=1 to use it as it is, or unset it")
    if broker.pid_file.live_pid() is not None:
        log.info("using the local broker of `ventanilla kafka start`", extra={"bootstrap": broker.bootstrap_servers})
    else:
        supervisor.adopt("kafka", broker.spawn(stdout=subprocess.PIPE), stop=broker.stop)
    broker.wait_ready(cancelled=supervisor.stopping.is_set)

"""Shared fixtures: one Kafka broker per test session; per-test settings with free ports and own topics."""
from __future__ import annotations

import os
import uuid
from typing import Callable, Iterator, Mapping

import pytest

from tests.support.stack_env import free_ports as _free_ports
from ventanilla.config import Settings

BOOTSTRAP_VARIABLE = "KAFKA_BOOTSTRAP_SERVERS"
CONTAINER_IMAGE = "confluentinc/cp-kafka:7.9.0"


def _docker_answers() -> bool:
    """Whether a Docker engine answers a ping within two seconds."""
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - no engine, no socket, no permission: all mean "no Docker"
        return False


def _container_broker() -> Iterator[str]:
    """A Kafka (KRaft) container from testcontainers."""
    from testcontainers.community.kafka import KafkaContainer

    container = KafkaContainer(CONTAINER_IMAGE).with_kraft()
    for name, value in {"AUTO_CREATE_TOPICS_ENABLE": "false", "TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
                        "TRANSACTION_STATE_LOG_MIN_ISR": "1"}.items():
        container.with_env(f"KAFKA_{name}", value)
    container.start(timeout=180)
    try:
        yield container.get_bootstrap_server()
    finally:
        container.stop()


def _local_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A LocalKafkaBroker on free ports with its state in a temporary directory (new ports if one was taken)."""
    from ventanilla.adapters.kafka_broker import KafkaBrokerError, LocalKafkaBroker

    failures = []
    for _attempt in range(3):
        port, controller_port = _free_ports(2)
        broker = LocalKafkaBroker(tmp_path_factory.mktemp("kafka"), port, controller_port)
        try:
            broker.start()
        except KafkaBrokerError as error:
            failures.append(str(error))
            continue
        try:
            yield broker.bootstrap_servers
        finally:
            broker.stop()
        return
    pytest.fail("no Kafka broker for the tests: set KAFKA_BOOTSTRAP_SERVERS, start Docker, or fix the local "
                "broker (`make kafka-jars`, a JDK 17+):\n" + "\n".join(failures), pytrace=False)


@pytest.fixture(scope="session")
def free_ports() -> Callable[[int], list[int]]:
    """A function returning that many distinct TCP ports free on 127.0.0.1 right now, outside the ephemeral range
    and never handed out before in this process (tests/support/ports.py)."""
    return _free_ports


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's broker: $KAFKA_BOOTSTRAP_SERVERS, else a testcontainer if Docker answers, else a local one."""
    if os.environ.get(BOOTSTRAP_VARIABLE):
        yield os.environ[BOOTSTRAP_VARIABLE]
    elif _docker_answers():
        yield from _container_broker()
    else:
        yield from _local_broker(tmp_path_factory)


@pytest.fixture
def settings_env(kafka_bootstrap: str, tmp_path) -> dict[str, str]:
    """VENTANILLA_* variables for one test: own state dir and topic names, free ports, the session's broker."""
    from tests.support.stack_env import private_env

    env = private_env(kafka_bootstrap, tmp_path / "state", _free_ports(5), "test")
    return env


@pytest.fixture
def settings_factory(settings_env: dict[str, str]) -> Callable[..., Settings]:
    """Build this test's Settings, optionally with overrides: settings_factory({"VENTANILLA_X": "y"})."""

    def make(overrides: Mapping[str, str] | None = None) -> Settings:
        return Settings.from_env({**settings_env, **(overrides or {})})

    return make


@pytest.fixture
def kafka_settings(settings_factory: Callable[..., Settings]) -> Settings:
    """This test's Settings, with its topics created on the session's broker by ensure_topics."""
    from ventanilla.adapters.topics import ensure_topics

    settings = settings_factory()
    ensure_topics(settings)
    return settings


@pytest.fixture(scope="session")
def signing_pki(tmp_path_factory: pytest.TempPathFactory):
    """A throw-away signing PKI for the session: trust store, CRLs and signers (tests/support/signing_pki.py)."""
    from tests.support.signing_pki import build_signing_pki

    return build_signing_pki(tmp_path_factory.mktemp("signing-pki"))


@pytest.fixture(scope="session")
def sign_invoice(signing_pki):
    """Sign a Facturae with XAdES-EPES by the session PKI's supplier (or another of its signers)."""
    return signing_pki.sign


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL cluster for the session (Debian's postgresql package); its superuser DSN."""
    from tests.support.postgres import PostgresCluster, postgres_bin

    if postgres_bin("initdb") is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql): the PostgreSQL claims adapter "
                    "is not tested")
    cluster = PostgresCluster(_free_ports(1)[0])
    dsn = cluster.start()
    try:
        yield dsn
    finally:
        cluster.stop()


@pytest.fixture
def claims_dsn(postgres_server: str) -> str:
    """A fresh database of the session's PostgreSQL for one test."""
    import psycopg

    name = f"claims_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return postgres_server.replace("dbname=postgres", f"dbname={name}")


@pytest.fixture(scope="session")
def s3_server() -> Iterator:
    """A versitygw S3 server for the session (`make k8s-tools` builds it under .tools/bin)."""
    from tests.support.s3_server import VERSITYGW, S3Server

    if not VERSITYGW.exists():
        pytest.fail(f"{VERSITYGW} is missing: run `make k8s-tools` (make test does)", pytrace=False)
    server = S3Server(_free_ports(1)[0]).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_settings(s3_server, tmp_path) -> Settings:
    """Settings (no broker) whose blob store is a fresh object-lock bucket on the session's S3 server."""
    import boto3

    bucket = f"docs-{uuid.uuid4().hex[:12]}"
    settings = Settings.from_env({"VENTANILLA_STATE_DIR": str(tmp_path / "state"), **s3_server.env(bucket)})
    boto3.client("s3", endpoint_url=s3_server.endpoint, region_name=settings.blobs.s3_region,
                 aws_access_key_id=settings.blobs.s3_access_key_id, aws_secret_access_key=settings.blobs.s3_secret_access_key,
                 ).create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    return settings

"""Kafka clients over SASL_SSL with SCRAM-SHA-512, built by the one factory from the settings the Kubernetes
manifests pass: a local broker with a second, SASL_SSL listener (TLS from a test CA, a SCRAM user added at format
time) accepts the right password and refuses a wrong one."""
from __future__ import annotations

import logging

import pytest
from cryptography.hazmat.primitives import serialization
from kafka.admin import NewTopic
from kafka.errors import KafkaError

from ventanilla import pki
from ventanilla.adapters import kafka_clients
from ventanilla.adapters.kafka_broker import KafkaBrokerError, LocalKafkaBroker
from ventanilla.config import Settings
from tests.support.stack_env import free_ports

pytestmark = pytest.mark.integration
USER, PASSWORD = "status", "scram-secret-for-tests"


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory):
    """A broker: PLAINTEXT (for its own readiness probe) and SASL_SSL on loopback; the CA file clients trust."""
    directory = tmp_path_factory.mktemp("kafka-sasl")
    ca = pki.issue_ca(pki.name("Kafka TEST cluster CA"))
    server = pki.issue_leaf(ca, pki.name("localhost"), pki.Usage.SERVER, dns_names=("localhost",),
                            ip_addresses=("127.0.0.1",))
    keystore = directory / "broker-keystore.pem"
    keystore.write_bytes(server.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()) + pki.pem(server.certificate))
    (directory / "ca.pem").write_bytes(pki.pem(ca.certificate))
    port, controller, secure = free_ports(3)
    extra = {
        "listeners": f"PLAINTEXT://127.0.0.1:{port},SASL_SSL://127.0.0.1:{secure},CONTROLLER://127.0.0.1:{controller}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port},SASL_SSL://127.0.0.1:{secure}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config":
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "ssl.keystore.type": "PEM", "ssl.keystore.location": str(keystore),
    }
    broker = LocalKafkaBroker(directory / "broker", port, controller, heap="384m", extra_properties=extra,
                              format_args=("--add-scram", f"SCRAM-SHA-512=[name={USER},password={PASSWORD}]"))
    try:
        broker.start()
    except KafkaBrokerError as error:
        pytest.fail(f"the SASL_SSL broker did not start: {error}")
    try:
        yield f"127.0.0.1:{secure}", directory / "ca.pem"
    finally:
        broker.stop()


def security(ca, password=PASSWORD):
    return Settings.from_env({"VENTANILLA_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                              "VENTANILLA_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
                              "VENTANILLA_KAFKA_SASL_USERNAME": USER, "VENTANILLA_KAFKA_SASL_PASSWORD": password,
                              "VENTANILLA_KAFKA_CA_FILE": str(ca)}).kafka.security


def test_admin_producer_and_consumer_over_sasl_ssl_with_scram(sasl_broker):
    bootstrap, ca = sasl_broker
    admin = kafka_clients.admin(bootstrap, security=security(ca), client_id="t")
    try:
        admin.create_topics([NewTopic("sasl-check", 1, 1)])
    finally:
        admin.close()
    producer = kafka_clients.producer(bootstrap, security=security(ca), acks="all")
    producer.send("sasl-check", key=b"k", value=b"over SASL_SSL").get(timeout=30)
    producer.close()
    consumer = kafka_clients.consumer(bootstrap, security=security(ca), group_id=None, auto_offset_reset="earliest",
                                      consumer_timeout_ms=20000)
    consumer.subscribe(["sasl-check"])
    assert next(iter(consumer)).value == b"over SASL_SSL"
    consumer.close()


def test_a_wrong_password_gets_nothing(sasl_broker, caplog):
    bootstrap, ca = sasl_broker
    with caplog.at_level(logging.DEBUG, "kafka"), pytest.raises(KafkaError):
        admin = kafka_clients.admin(bootstrap, security=security(ca, "wrong"), client_id="t",
                                    request_timeout_ms=5000, bootstrap_timeout_ms=5000)
        try:
            admin.list_topics()
        finally:
            admin.close()
    port = bootstrap.rsplit(":", 1)[1]  # only this broker's connections: other clients of the test process log too
    seen = [m for m in (r.getMessage() for r in caplog.records) if port in m]
    assert any("SaslAuthenticateRequest" in m for m in seen)  # TLS passed: refused at the SCRAM exchange
    assert not any("MetadataResponse" in m for m in seen)  # and nothing was answered after it

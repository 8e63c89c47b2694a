"""Kafka security settings: read from the environment, refused when incomplete, turned into kafka-python options."""
from pathlib import Path

import pytest

from ventanilla.adapters.kafka_clients import security_options
from ventanilla.config import KafkaSecurity, Settings

SASL = {"VENTANILLA_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "VENTANILLA_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "VENTANILLA_KAFKA_SASL_USERNAME": "status", "VENTANILLA_KAFKA_SASL_PASSWORD": "s3cret",
        "VENTANILLA_KAFKA_CA_FILE": "/etc/ventanilla/kafka-ca/ca.crt"}


def test_the_local_default_is_plaintext():
    assert Settings.from_env({}).kafka.security == KafkaSecurity()
    assert security_options(KafkaSecurity()) == {"security_protocol": "PLAINTEXT"}


def test_sasl_ssl_with_scram_and_the_cluster_ca():
    security = Settings.from_env(SASL).kafka.security
    assert security_options(security) == {
        "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "status",
        "sasl_plain_password": "s3cret", "ssl_cafile": str(Path("/etc/ventanilla/kafka-ca/ca.crt").resolve())}
    assert "s3cret" not in repr(security)


def test_the_kubernetes_config_names_the_same_variables():
    config = (Path(__file__).parents[3] / "deploy/kubernetes/base/config.env").read_text()
    for name in ("VENTANILLA_KAFKA_SECURITY_PROTOCOL", "VENTANILLA_KAFKA_SASL_MECHANISM", "VENTANILLA_KAFKA_CA_FILE"):
        assert f"{name}=" in config


@pytest.mark.parametrize("env", [{"VENTANILLA_KAFKA_SECURITY_PROTOCOL": "TLS"},
                                 {**SASL, "VENTANILLA_KAFKA_SASL_MECHANISM": "GSSAPI"}])
def test_bad_settings_are_refused_with_a_clear_message(env):
    with pytest.raises(ValueError, match="expected one of"):
        Settings.from_env(env)


def test_a_client_without_sasl_credentials_is_refused_when_built():
    security = Settings.from_env({"VENTANILLA_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}).kafka.security
    with pytest.raises(ValueError, match="needs VENTANILLA_KAFKA_SASL_USERNAME"):
        security_options(security)


def test_event_producers_keep_no_kafka_python_sensors():
    """kafka-python's own metrics cost CPU on every record and nobody reads them (ProduceWatch observes appends)."""
    from kafka import KafkaProducer

    from ventanilla.adapters.event_log import producer_settings

    settings = producer_settings("localhost:9092", "registry", 15.0)
    assert set(settings) <= set(KafkaProducer.DEFAULT_CONFIG)  # every option is one kafka-python knows
    assert settings["metrics_enabled"] is False


def test_consumers_keep_no_kafka_python_sensors_unless_asked():
    from kafka import KafkaConsumer

    from ventanilla.adapters.kafka_clients import WITHOUT_SENSORS

    assert set(WITHOUT_SENSORS) <= set(KafkaConsumer.DEFAULT_CONFIG)  # an option kafka-python knows
    assert WITHOUT_SENSORS["metrics_enabled"] is False

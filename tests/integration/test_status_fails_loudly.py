"""A status service whose projector cannot apply the log stops, rather than answer from a stale projection."""
import os
import subprocess
import sys

import pytest
from kafka import KafkaProducer

pytestmark = pytest.mark.integration


def test_an_unreadable_invoice_event_stops_the_service_with_an_error(kafka_settings, settings_env):
    producer = KafkaProducer(bootstrap_servers=kafka_settings.kafka.bootstrap_servers)
    producer.send(kafka_settings.topics.invoice_events, key=b"1", value=b"\x0a\x03not an envelope").get(timeout=30)
    producer.close()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")}, **settings_env}
    status = subprocess.run([sys.executable, "-m", "status_service"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert status.returncode == 1, status.stderr[-2000:]
    assert "a consumer thread died" in status.stderr

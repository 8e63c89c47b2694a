"""A status replica with a long log to replay: UNAVAILABLE and NOT_SERVING until it has caught up, never 'no such invoice'."""
from __future__ import annotations

import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ventanilla.api.v1 import services_pb2, services_pb2_grpc
from status_service.__main__ import build

from tests.support.backlog import produce_events
from tests.unit.domain.factories import registration
from tests.support.service_pki import dial

pytestmark = pytest.mark.integration
EVENTS = 40_000  # 10,000 invoices: about a second of replay, or more


def test_a_replica_answers_only_once_it_holds_the_log_as_of_its_start(kafka_settings):
    settings = kafka_settings
    produced_s = produce_events(settings.kafka.bootstrap_servers, settings.topics.invoice_events, EVENTS)
    last = EVENTS // 4
    caller = services_pb2.Caller(nif=registration().submitter_nif)
    service = build(settings)
    started = time.monotonic()
    service.start()
    refused, health_seen = 0, set()
    try:
        with dial(settings.addresses.status, "status") as channel:
            status, health = services_pb2_grpc.StatusServiceStub(channel), health_pb2_grpc.HealthStub(channel)
            while True:
                serving = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10,
                                       wait_for_ready=True).status == health_pb2.HealthCheckResponse.SERVING
                health_seen.add(serving)
                alive = health.Check(health_pb2.HealthCheckRequest(service="liveness"), timeout=10).status
                assert alive == health_pb2.HealthCheckResponse.SERVING  # a liveness probe never restarts it
                assert time.monotonic() - started < 300
                try:
                    answer = status.GetStates(services_pb2.StatesByIds(caller=caller, ids=[last]), timeout=10)
                except grpc.RpcError as error:
                    assert error.code() is grpc.StatusCode.UNAVAILABLE, error
                    assert not serving
                    refused += 1
                    time.sleep(0.05)
                    continue
                assert service.startup.ready.is_set()
                [item] = answer.items
                assert not item.HasField("error"), item  # never "no such invoice" once answering
                break
        replay_s = time.monotonic() - started
    finally:
        service.stop()
    print(f"produced in {produced_s:.1f} s, replayed in {replay_s:.1f} s, {refused} queries refused meanwhile")
    # a backlog long enough to be asked about several times while replaying (its seconds depend on the machine)
    assert refused >= 3 and health_seen == {False, True}, (refused, health_seen, replay_s)

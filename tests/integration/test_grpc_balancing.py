"""The edge's channels spread calls over every address of a backend when told round_robin, and the
registry process refuses to start replicated on a file claims store."""
import subprocess
import sys
from collections import Counter
from concurrent import futures

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from soap_edge.backends import Backends

pytestmark = pytest.mark.integration


class CountingHealth(health.HealthServicer):
    """A health service that counts the checks it answers."""

    def __init__(self, name: str, seen: Counter):
        super().__init__()
        self._name, self._seen = name, seen
        self.set("", health_pb2.HealthCheckResponse.SERVING)

    def Check(self, request, context):
        self._seen[self._name] += 1
        return super().Check(request, context)


@pytest.fixture
def two_backends(free_ports):
    """Two gRPC servers on one port of two loopback addresses: one name, two pods."""
    port, seen, servers = free_ports(1)[0], Counter(), []
    for host in ("127.0.0.1", "127.0.0.2"):
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        health_pb2_grpc.add_HealthServicer_to_server(CountingHealth(host, seen), server)
        assert server.add_insecure_port(f"{host}:{port}") == port
        server.start()
        servers.append(server)
    yield f"ipv4:127.0.0.1:{port},127.0.0.2:{port}", seen
    for server in servers:
        server.stop(0)


@pytest.mark.parametrize("policy, pods_used", [("round_robin", 2), ("pick_first", 1)])
def test_calls_reach_every_pod_only_with_round_robin(two_backends, policy, pods_used):
    target, seen = two_backends
    backends = Backends({"status": target}, deadline_s=5, max_message_bytes=1024, lb_policy=policy)
    try:
        for _ in range(20):
            assert backends.ready() == {"status": True}
    finally:
        backends.close()
    assert len(seen) == pods_used and sum(seen.values()) == 20
    if policy == "round_robin":
        assert min(seen.values()) >= 8  # spread, not pinned


def test_the_registry_process_refuses_to_run_replicated_on_a_file_store(tmp_path, free_ports):
    env = {"PATH": "/usr/bin:/bin", "VENTANILLA_STATE_DIR": str(tmp_path), "VENTANILLA_REGISTRY_REPLICAS": "3",
           "VENTANILLA_REGISTRY_ADDRESS": f"127.0.0.1:{free_ports(1)[0]}",
           "VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-m", "registry_service"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "VENTANILLA_REGISTRY_REPLICAS=3" in done.stderr and "VENTANILLA_CLAIMS_DSN" in done.stderr
    assert not (tmp_path / "registry").exists()


def test_liveness_and_readiness_are_separate_health_services(free_ports):
    from ventanilla.adapters.grpc_server import LIVENESS, GrpcServer

    address = f"127.0.0.1:{free_ports(1)[0]}"
    server = GrpcServer(address, [])
    server.start()
    try:
        with grpc.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            for service in (LIVENESS, ""):
                assert stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status == \
                    health_pb2.HealthCheckResponse.SERVING
    finally:
        server.stop(0)

"""A gRPC server shares its port only when told to (the registry's processes): any other server started on a
port another server holds fails to bind, rather than silently taking some of the connections meant for it."""
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ventanilla.adapters.grpc_server import BindError, GrpcServer

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("first_shares, second_shares", [(False, False), (True, False), (False, True)])
def test_a_server_not_sharing_cannot_bind_a_taken_port(free_ports, first_shares, second_shares):
    address = f"127.0.0.1:{free_ports(1)[0]}"
    first = GrpcServer(address, [], share_port=first_shares)
    first.start()
    try:
        with pytest.raises(OSError, match=f"cannot bind gRPC server to {address}"):
            GrpcServer(address, [], share_port=second_shares)
        with grpc.insecure_channel(address) as channel:  # the holder still answers
            assert health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status == \
                health_pb2.HealthCheckResponse.SERVING
    finally:
        first.stop(0)


def test_a_taken_health_port_fails_the_same_way(free_ports):
    address, health_address = (f"127.0.0.1:{port}" for port in free_ports(2))
    holder = GrpcServer(health_address, [])
    try:
        with pytest.raises(BindError, match=f"cannot bind gRPC health port to {health_address}") as raised:
            GrpcServer(address, [], health_address=health_address)
        assert raised.value.address == health_address
        GrpcServer(address, []).stop(0)  # the failed server let its main port go
    finally:
        holder.stop(0)


def test_a_server_stopped_without_being_started_lets_its_port_go(free_ports):
    address = f"127.0.0.1:{free_ports(1)[0]}"
    GrpcServer(address, []).stop()
    again = GrpcServer(address, [])
    again.start()
    try:
        with grpc.insecure_channel(address) as channel:
            assert health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status == \
                health_pb2.HealthCheckResponse.SERVING
    finally:
        again.stop(0)


def test_servers_sharing_a_port_both_bind_it(free_ports):
    port = free_ports(1)[0]
    servers = [GrpcServer(f"127.0.0.1:{port}", [], share_port=True) for _ in range(2)]
    try:
        assert [server.port for server in servers] == [port, port]
    finally:
        for server in servers:
            server.stop(0)


def test_a_server_answers_on_each_of_its_addresses_and_a_taken_one_fails_to_bind(free_ports):
    address, more, taken = (f"127.0.0.1:{port}" for port in free_ports(3))
    holder = GrpcServer(taken, [])
    try:
        with pytest.raises(BindError, match=f"cannot bind the other API to {taken}") as raised:
            GrpcServer(address, [], more_addresses={"the other API": taken})
        assert raised.value.address == taken
    finally:
        holder.stop(0)
    server = GrpcServer(address, [], more_addresses={"the other API": more})  # the failed server let its port go
    server.start()
    try:
        for each in (address, more):
            with grpc.insecure_channel(each) as channel:
                assert health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status \
                    == health_pb2.HealthCheckResponse.SERVING
    finally:
        server.stop(0)

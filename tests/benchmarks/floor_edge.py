"""The read paths' floor (issue 15): the edge's gunicorn configuration serving a WSGI app that reads the body, makes
one unary gRPC call to the status address over the services' mutual TLS with a plain generated stub, and answers
fixed bytes; nothing of the edge's own on the path (no SOAP parsing, state batches, interceptors or metering).

`python -m tests.benchmarks.floor_edge` under VENTANILLA_* settings (VENTANILLA_STATUS_ADDRESS: the floor's status,
hop_server.py `floor`), BENCH_FLOOR_METHOD (a StatusService method), BENCH_FLOOR_REQUEST (the file of its request,
serialized) and BENCH_ANSWER_FILE (the SOAP answer's bytes)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ventanilla import runtime
from ventanilla.adapters.service_tls import channel
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc as rpc
from ventanilla.config import Settings


def status_message(method: str, part: str, data: bytes):
    """A StatusService method's request (part "input_type") or answer ("output_type") parsed from its bytes."""
    message = getattr(pb.DESCRIPTOR.services_by_name["StatusService"].methods_by_name[method], part)
    return getattr(pb, message.name).FromString(data)


def build(settings: Settings):
    """One worker's app (after the fork, as the edge's): its own channel, the call's request and the answer read once."""
    method = os.environ["BENCH_FLOOR_METHOD"]
    request = status_message(method, "input_type", Path(os.environ["BENCH_FLOOR_REQUEST"]).read_bytes())
    answer = Path(os.environ["BENCH_ANSWER_FILE"]).read_bytes()
    call = getattr(rpc.StatusServiceStub(channel(settings.service_tls, "soap-edge", "status",
                                                 settings.addresses.status)), method)
    headers = [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(answer)))]
    timeout_s = settings.deadlines.query_s

    def app(environ, start_response):
        environ["wsgi.input"].read()
        call(request, timeout=timeout_s)
        start_response("200 OK", headers)
        return [answer]

    runtime.settle(settings.runtime)
    return app


def main() -> None:
    """Serve it with the edge's own gunicorn configuration (EdgeServer) and runtime settings."""
    from soap_edge.http.server import EdgeServer

    sys.argv = sys.argv[:1]  # gunicorn parses the command line
    settings = Settings.from_env()
    runtime.tune(settings.runtime)
    EdgeServer(settings, build).run()


if __name__ == "__main__":
    main()

"""A real SOAP edge (gunicorn, TLS) in a subprocess, over in-process gRPC backends that record callers."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ventanilla import devpki, stack
from ventanilla.adapters.grpc_errors import abort_with
from ventanilla.adapters.grpc_server import GrpcServer
from ventanilla.adapters.service_tls import server_options
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.config import Settings
from ventanilla.domain.errors import DomainError, ErrorKey


class RecordingStatus(services_pb2_grpc.StatusServiceServicer):
    """A status service that knows no invoice: records each caller, answers facturainvalida."""

    def __init__(self):
        self.callers: list[str] = []

    def GetInvoice(self, request, context):
        self.callers.append(request.caller.nif)
        abort_with(context, DomainError(ErrorKey.FACTURA_INVALIDA))


@dataclass
class Edge:
    """A running edge process and what it needs to be called; its output is read as it comes (no full pipe)."""

    settings: Settings
    process: subprocess.Popen
    status: RecordingStatus
    servers: list = field(default_factory=list)
    output: list = field(default_factory=list)

    def __post_init__(self):
        self._reader = threading.Thread(target=lambda: self.output.extend(self.process.stdout), daemon=True)
        self._reader.start()

    @property
    def url(self) -> str:
        return self.settings.edge.url

    @property
    def pki(self) -> devpki.Layout:
        return devpki.layout(self.settings)

    def rss_mb(self) -> int:
        """Resident memory of the edge: the gunicorn arbiter and its workers, in MB."""
        pid = self.process.pid
        pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return sum(next(int(line.split()[1]) for line in Path(f"/proc/{p}/status").read_text().splitlines()
                        if line.startswith("VmRSS")) for p in pids) // 1024

    def client(self, nif: str, entity_nif: str = "") -> tuple[str, str]:
        """(cert, key) paths of a fresh client certificate from the dev CA."""
        out = self.settings.path("clients", f"{nif}-{entity_nif}")
        cert, key = devpki.client(self.settings, nif, out, entity_nif)
        return str(cert), str(key)

    def stop(self) -> str:
        """Stop the edge and the backends; the edge's output."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)
        for server in self.servers:
            server.stop(0)
        return b"".join(self.output).decode(errors="replace")


def start_edge(state: Path, ports: list[int], registry=None, **variables: str) -> Edge:
    """Start backends on ports[0:3] and the edge on ports[3]; return once /readyz answers 200. The registry
    answers UNIMPLEMENTED unless a RegistryService servicer is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")}
    env.update({
        "VENTANILLA_STATE_DIR": str(state), "VENTANILLA_SOAP_HOST": "127.0.0.1",
        "VENTANILLA_SOAP_PORT": str(ports[3]), "VENTANILLA_SOAP_WORKERS": "1", "VENTANILLA_LOG_LEVEL": "INFO",
        "VENTANILLA_REGISTRY_ADDRESS": f"127.0.0.1:{ports[0]}", "VENTANILLA_STATUS_ADDRESS": f"127.0.0.1:{ports[1]}",
        "VENTANILLA_CANCELLATION_ADDRESS": f"127.0.0.1:{ports[2]}", **variables,
    })
    settings = Settings.from_env(env)
    devpki.init(settings)
    status = RecordingStatus()
    tls = settings.service_tls  # the backends as the edge meets them: mutual TLS, the edge allowed
    registrars = [] if registry is None else [lambda s: services_pb2_grpc.add_RegistryServiceServicer_to_server(registry, s)]
    servers = [GrpcServer(settings.addresses.registry, registrars, **server_options(tls, "registry")),
               GrpcServer(settings.addresses.status, [lambda s: services_pb2_grpc.add_StatusServiceServicer_to_server(status, s)],
                          **server_options(tls, "status")),
               GrpcServer(settings.addresses.cancellation, [], **server_options(tls, "cancellation"))]
    for server in servers:
        server.start()
    process = subprocess.Popen([sys.executable, "-m", "soap_edge"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    edge = Edge(settings, process, status, servers)
    deadline = time.monotonic() + 30
    while not stack.HttpReady()(settings):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the edge did not become ready:\n{edge.stop()}")
        time.sleep(0.2)
    return edge


SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PEFAC_NS = "http://v2.ws.efactura.ceh.gobiernodecanarias.org/"


@dataclass(frozen=True)
class Burst:
    """What a burst of uploads did to an edge: answers (status or error name), RSS in MB, wall time."""

    answers: list
    idle_mb: int
    peak_mb: int
    seconds: float


def large_upload_burst(edge: Edge, sample_s: float = 0.02) -> Burst:
    """12 enviarFactura of 7.3 MB (5.5 MB of base64 inline) and 6 bodies of 9 MiB, all at once, over TLS."""
    import requests

    inner = base64.b64encode(os.urandom(5_500_000)).decode()
    large = (f'<S:Envelope xmlns:S="{SOAP_NS}"><S:Body><ns:enviarFactura xmlns:ns="{PEFAC_NS}"><facturae>{inner}'
             "</facturae></ns:enviarFactura></S:Body></S:Envelope>").encode()
    cert, answers, peak, done = edge.client("99999999R"), [], [0], threading.Event()
    idle = edge.rss_mb()

    def watch():
        while not done.wait(sample_s):
            peak[0] = max(peak[0], edge.rss_mb())

    def upload(body: bytes):
        try:
            answers.append(requests.post(edge.url, data=body, headers={"Content-Type": "text/xml; charset=utf-8"},
                                         cert=cert, verify=str(edge.pki.cert("ca")), timeout=60).status_code)
        except requests.RequestException as error:
            answers.append(type(error).__name__)

    uploads = [threading.Thread(target=upload, args=(large,)) for _ in range(12)]
    uploads += [threading.Thread(target=upload, args=(b"x" * (9 << 20),)) for _ in range(6)]
    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.perf_counter()
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join(timeout=90)
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    return Burst(answers, idle, max(peak[0], idle), seconds)

"""consultarFactura's GetInvoice in one process, stage by stage, this checkout against another tree:
`python tests/benchmarks/get_invoice_stages.py [--before DIR] [--rounds R] [--runs N] [--callgrind]`.

The status service's gRPC side as its build() wires it (GrpcServer with mutual TLS, the callers' check, request id
and metrics, the ready gate, StatusApi over the query use cases, a SQLite projection and a blob directory holding one
invoice and its 31.5 KB receipt; no Kafka, the projection at the log's end) and the edge's StatusClient over the
channel as the edge opens it (mutual TLS, observability's interceptors), both in one process. Stages, each a loop of
N calls after a warm-up: `status handler` (StatusApi.GetInvoice called directly: the query, the blob read, the
answer message), `edge answer` (consultarFactura's inline SOAP answer written from a GetInvoice answer), `edge
answer, MTOM`, `hop` (StatusClient.invoice over the real server: both sides of the call; the client holding receipts
as the edge's default does where the tree has that, so every call after the first is a hit), `hop + answer`,
`status handler, held` (the request names the receipt's SHA-256 where the tree's message has the field), `hop, miss`
and `hop + answer, miss` (a client with room for one receipt asking for two invoices in turn: every call a miss, and
an eviction). CPU ms per call (`time.process_time`: every thread of the process) or, with --callgrind, instructions per call (valgrind; each
loop cut out of the run by a dump at `getppid`, called only around the loops; PYTHONHASHSEED=0). Each round one
fresh process per tree, the order alternating; medians printed as a table (variant_table.py)."""
from __future__ import annotations

import itertools
import os
import random
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: the sibling modules by their package

from tests.benchmarks.callgrind_loops import loop_instructions, stages_main, timed_loop  # noqa: E402

STAGES = ("status handler", "edge answer", "edge answer, MTOM", "hop", "hop + answer", "status handler, held",
          "hop, miss", "hop + answer, miss")
WARM_UP = 200
RECEIPT_BYTES = 31_500
INVOICES = (7, 8)
EDGE_DEFAULT_BYTES = 16 * 1024 * 1024  # VENTANILLA_EDGE_RECEIPT_CACHE_MB's default


def _serve(state: Path, submitter: str = "B12345678"):
    """The status side as wired over one invoice with a receipt, submitted by `submitter`; (server, its address,
    StatusApi, caller NIF)."""
    from dataclasses import replace

    from status_service.grpc_api import StatusApi
    from status_service.handlers import Queries
    from status_service.metering import MeteredProgress
    from status_service.startup import NOT_READY
    from tests.unit.domain.factories import T0, registration
    from tests.support.service_pki import service_tls_env
    from ventanilla.adapters.blob_store import DirectoryBlobStore
    from ventanilla.adapters.catch_up import CatchUp
    from ventanilla.adapters.grpc_server import GrpcServer, ReadyGate
    from ventanilla.adapters.projection_store import ProjectionStore
    from ventanilla.adapters.service_tls import server_options
    from ventanilla.api.v1 import services_pb2_grpc as rpc
    from ventanilla.config import ServiceTls
    from ventanilla.domain.events import InvoiceRegistered
    from ventanilla.observability.process import Observability
    from tests.support.stack_env import free_ports

    blobs = DirectoryBlobStore(state / "blobs")
    store = ProjectionStore(state / "projection.sqlite3")
    for offset, invoice_id in enumerate(INVOICES):  # one supplier's, each with a receipt of its own
        receipt = blobs.put(random.Random(invoice_id).randbytes(RECEIPT_BYTES), f"comprobante-{invoice_id}.pdf",
                            "application/pdf")
        registered = registration(invoice_id, submitter)
        number = f"{35 + invoice_id:04d}"  # 0042 for invoice 7, as before there was a second one
        invoice = replace(registered, key=replace(registered.key, number=number), receipt=receipt)
        store.apply(InvoiceRegistered(f"e-reg-{invoice_id}", invoice_id, T0, invoice), "invoice-events", 0, offset)
    catch_up = CatchUp(lambda: {0: len(INVOICES)}, store.positions("invoice-events"), 5.0)
    obs = Observability.quiet("status")
    api = StatusApi(Queries(store, blobs, MeteredProgress(catch_up, obs.metrics.catch_up_wait,
                                                          obs.metrics.catch_up_timeouts)),
                    obs.metrics.group_query_items)
    ready = threading.Event()
    ready.set()
    tls = ServiceTls.from_env(service_tls_env(), Path("."))
    (port,) = free_ports(1)
    options = server_options(tls, "status", (*obs.server_interceptors(), ReadyGate(ready, NOT_READY)), health=False)
    server = GrpcServer(f"127.0.0.1:{port}", [lambda s: rpc.add_StatusServiceServicer_to_server(api, s)], **options)
    server.start()
    return server, f"127.0.0.1:{port}", api, invoice.submitter_nif


def _client(address: str, held_bytes: int):
    """The edge's StatusClient over its channel (mutual TLS, observability's interceptors), holding up to held_bytes
    of receipts where the tree's client holds any; (client, close)."""
    from soap_edge.backends.channels import Channels
    from soap_edge.backends.clients import StatusClient
    from tests.support.service_pki import service_tls_env
    from ventanilla.adapters.service_tls import opener
    from ventanilla.config import Deadlines, ServiceTls
    from ventanilla.observability.process import Observability

    obs = Observability.quiet("soap-edge")
    opened = opener(ServiceTls.from_env(service_tls_env(), Path(".")), "soap-edge", {address: "status"})
    channels = Channels({"status": address}, 64 * 1024 * 1024,
                        open_channel=lambda a, **options: obs.channel(opened(a, **options)))
    deadlines = Deadlines.from_env({"VENTANILLA_SOAP_GRPC_DEADLINE_S": "120"})
    try:
        from soap_edge.backends.receipts import HeldReceipts
    except ImportError:  # a tree before the conditional receipt fetch
        return StatusClient(channels, deadlines), channels.close
    return StatusClient(channels, deadlines, receipts=HeldReceipts(held_bytes)), channels.close


def _child(product: Path, runs: int) -> dict[str, float]:
    """CPU ms per call of each stage, with `product`'s code first on the path; getppid() marks each timed loop."""
    sys.path[:0] = [str(product), str(product / "services" / "status"), str(product / "services" / "soap-edge"),
                    str(ROOT)]
    from soap_edge.soap import answers
    from ventanilla.api.v1 import services_pb2 as pb

    with tempfile.TemporaryDirectory(prefix="get-invoice-") as tmp:
        server, address, api, nif = _serve(Path(tmp))
        client, close = _client(address, EDGE_DEFAULT_BYTES)
        one_held, close_other = _client(address, RECEIPT_BYTES)  # room for one receipt: each of two a miss
        caller = pb.Caller(nif=nif)
        request = pb.InvoiceById(caller=caller, id=7)
        answer = client.invoice(caller, 7)
        assert len(answer.receipt_pdf) == RECEIPT_BYTES
        held = pb.InvoiceById(caller=caller, id=7)
        if "held_receipt_sha256" in pb.InvoiceById.DESCRIPTOR.fields_by_name:
            held.held_receipt_sha256 = answer.invoice.receipt.sha256
        alternate = itertools.cycle(INVOICES)

        def inline(got):
            return answers.envelope("consultarFactura", answers.factura(got, "return", None))

        steps = {
            "status handler": lambda: api.GetInvoice(request, None),
            "edge answer": lambda: inline(answer),
            "edge answer, MTOM": lambda: answers.envelope("consultarFactura",
                                                          answers.factura(answer, "return", [])),
            "hop": lambda: client.invoice(caller, 7),
            "hop + answer": lambda: inline(client.invoice(caller, 7)),
            "status handler, held": lambda: api.GetInvoice(held, None),
            "hop, miss": lambda: one_held.invoice(caller, next(alternate)),
            "hop + answer, miss": lambda: inline(one_held.invoice(caller, next(alternate))),
        }
        result = {}
        try:
            for name in STAGES:
                step = steps[name]
                result[name] = timed_loop(step, runs, WARM_UP)
        finally:
            close()
            close_other()
            server.stop(0)
    return result


def _callgrind(product: Path, runs: int, out: Path) -> dict[str, float]:
    """Instructions per call of each stage: one valgrind run, the loops' dumps divided by the runs."""
    keep = os.environ.get("GET_INVOICE_KEEP_DUMPS")
    return loop_instructions([__file__, "--child", str(product), "--runs", str(runs)], STAGES, runs, out,
                             Path(keep) if keep else None, product.name)


def main() -> None:
    stages_main(__file__, __doc__, ROOT, STAGES, _child, _callgrind)


if __name__ == "__main__":
    main()

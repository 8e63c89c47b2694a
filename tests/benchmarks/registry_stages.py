"""Each registry stage measured alone on one signed invoice: CPU and wall milliseconds per invoice."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Callable

from ventanilla.adapters.blob_store import DirectoryBlobStore
from ventanilla.adapters.clock import SystemClock
from ventanilla.adapters.claims import SqliteClaims
from ventanilla.adapters.event_log import EventLog
from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.domain.invoice import Centres, DocumentRef, InvoiceKey, RegisteredInvoice
from ventanilla.facturae.parser import parse_facturae_tree, read_facturae
from ventanilla.facturae.rules import check_business_rules
from ventanilla.facturae.schema import FacturaeSchemas
from ventanilla.facturae.signature import verify_signature
from ventanilla.facturae.trust import CertificateChecker, TrustMaterial
from registry_service.receipt import ReceiptIssuer, new_csv
from registry_service.seal import dev_seal
from registry_service.wiring import build_sede

RUNS = 60
PARSE = "parse (hardened lxml + fields)"


def _timed(step: Callable[[int], object], prepare: Callable[[int], object] = lambda i: None) -> tuple[float, float]:
    """CPU and wall milliseconds per call of step(i), after warm-up; prepare(i) is not timed."""
    for i in range(3):
        step(prepare(-1 - i))
    cpu = wall = 0.0
    for i in range(RUNS):
        argument = prepare(i)
        c, w = time.process_time(), time.perf_counter()
        step(argument)
        cpu += time.process_time() - c
        wall += time.perf_counter() - w
    return cpu * 1000 / RUNS, wall * 1000 / RUNS


def _registration(invoice_id: int, document, facturae: DocumentRef) -> RegisteredInvoice:
    return RegisteredInvoice(
        id=invoice_id, key=InvoiceKey(document.supplier_nif, document.issue_date.year, document.series, document.number),
        customer_nif=document.customer_nif, issue_date=document.issue_date, signed_at=document.signing_time,
        currency=document.currency, total=document.total, payable=document.payable,
        facturae_version=document.facturae_version, registered_at=datetime.now(timezone.utc),
        centres=Centres("L01280796", "LA0007407", "LA0007408"), treasury_key="", facturae=facturae,
        receipt=DocumentRef("0" * 64, 19000), submitter_nif=document.supplier_nif)


def measure_stages(facturae: bytes, pki, env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """parse, schema, signature, rules, claims, storage, Kafka append, PDF: (CPU ms, wall ms) each."""
    calls, close = stage_calls(facturae, pki, env)
    try:
        return {name: _timed(step, prepare) for name, (step, prepare) in calls.items()}
    finally:
        close()


def stage_calls(facturae: bytes, pki, env: dict[str, str], root_of: Callable[[object], object] | None = None
                ) -> tuple[dict[str, tuple[Callable, Callable]], Callable]:
    """Each stage as (step, prepare): step(prepare(i)) is one call; and what closes the Kafka producer. The parse
    step gives its tree; `root_of` is the schema's and the signature's prepare (default: a fresh parse, not timed)."""
    settings = Settings.from_env({**env, "VENTANILLA_INVOICE_EVENTS_TOPIC": f"bench.stages.{uuid.uuid4().hex[:8]}"})
    ensure_topics(settings)
    work = settings.path("bench-stages")
    schemas = FacturaeSchemas.load(settings.registry.facturae_schemas)
    checker = CertificateChecker(TrustMaterial.load(pki.trust_store, pki.crls))
    root, version = parse_facturae_tree(facturae)
    document = read_facturae(root)
    now = datetime.now(timezone.utc)
    blobs, claims = DirectoryBlobStore(work / "blobs"), SqliteClaims(work / "claims.sqlite3")
    events = EventLog(settings.kafka.bootstrap_servers, settings.topics.invoice_events, "bench")
    issuer = ReceiptIssuer(dev_seal(work / "seal"), build_sede(settings, "Ventanilla (benchmark)"), SystemClock())
    facturae_ref = blobs.put(facturae)
    receipt = issuer(_registration(1, document, facturae_ref), new_csv())

    def signature(tree) -> None:
        signed_by = verify_signature(tree)
        checker.check(signed_by.certificate, signed_by.others, document.signing_time, now)

    def claim(i: int) -> None:
        key = InvoiceKey(document.supplier_nif, 2021, "BENCH", f"{uuid.uuid4().hex}")
        invoice_id = claims.claim(key, document.issue_date, facturae_ref.sha256, now)
        claims.confirm(invoice_id, new_csv(), facturae_ref.sha256)

    def store(data: tuple[bytes, bytes]) -> None:
        blobs.put(data[0])
        blobs.put(data[1])

    def unique(_):
        return facturae + f"<!-- {uuid.uuid4()} -->".encode(), receipt + f"%{uuid.uuid4()}\n".encode()

    event = InvoiceRegistered(str(uuid.uuid4()), 1, now, _registration(1, document, facturae_ref))

    def parse(_):
        root = parse_facturae_tree(facturae)[0]
        read_facturae(root)
        return root

    def fresh_tree(_):
        return parse_facturae_tree(facturae)[0]

    def untouched(i):
        return i

    return {
        PARSE: (parse, untouched),
        "schema (XSD)": (lambda root: schemas.validate(root, version), root_of or fresh_tree),
        "signature (XAdES by xmlsec; certificate path with CRLs, cached)": (signature, root_of or fresh_tree),
        "business rules": (lambda i: check_business_rules(document, now.date()), untouched),
        "claim + confirm (SQLite, fsync)": (claim, untouched),
        "storage (Facturae + receipt, fsync)": (store, unique),
        "Kafka append (acks=all, client side)": (lambda i: events.append(event), untouched),
        "receipt PDF (reportlab + PAdES seal)": (lambda i: issuer(event.invoice, new_csv()), untouched),
    }, events.close


def back_to_back(facturae: bytes, pki, env: dict[str, str]) -> tuple[Callable[[int], None], Callable]:
    """One invoice through every stage of the stage sum in turn, as the registry takes them: the parse's tree is the
    schema's and the signature's (each thread its own); and what closes the Kafka producer."""
    held = threading.local()
    calls, close = stage_calls(facturae, pki, env, root_of=lambda _: held.root)

    def invoice(i: int) -> None:
        for name, (step, prepare) in calls.items():
            found = step(prepare(i))
            if name == PARSE:
                held.root = found

    return invoice, close

"""Helpers for tests that talk to real registry services: settings for signed intake, gRPC calls, PDF checks."""
from __future__ import annotations

import io
from pathlib import Path

import grpc
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ventanilla.adapters.grpc_errors import domain_error_of
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc
from tests.support.service_pki import dial

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SCHEMAS = SHARED / "reference" / "facturae" / "schemas"
SAMPLES = SHARED / "reference" / "facturae" / "samples"
FACE = SAMPLES / "v3.2.2" / "invopop_invoice-face_unsigned.xml"


def signed_intake_env(signing_pki) -> dict[str, str]:
    """VENTANILLA_* variables for a registry that validates schemas and signatures with the test PKI."""
    return {"VENTANILLA_FACTURAE_SCHEMAS": str(SCHEMAS), "VENTANILLA_REQUIRE_SIGNATURE": "1",
            "VENTANILLA_TRUST_STORE": str(signing_pki.trust_store), "VENTANILLA_CRLS": str(signing_pki.crls)}


def submit(address: str, facturae: bytes, nif: str = "B23103039", attachments=(), timeout: float = 60,
           one_message: bool = False, stream=None):
    """SubmitInvoiceStream (one_message: SubmitInvoice) over a fresh channel: (response, None) or (None, catalogue
    key). stream: the SubmissionParts to send instead of the submission's own."""
    from ventanilla.adapters import submission_stream  # here: benchmarks import this module with an earlier
                                                       # commit's product too
    caller, attachments = pb.Caller(nif=nif), [submission_stream.Attachment(n, c) for n, c in attachments]
    with dial(address, "registry") as channel:
        stub = services_pb2_grpc.RegistryServiceStub(channel)
        try:
            if one_message:
                return stub.SubmitInvoice(submission_stream.one_message(caller, facturae, attachments),
                                          timeout=timeout, wait_for_ready=True), None
            parts = stream if stream is not None else submission_stream.parts(caller, facturae, attachments)
            return stub.SubmitInvoiceStream(parts, timeout=timeout, wait_for_ready=True), None
        except grpc.RpcError as error:
            known = domain_error_of(error)
            return None, known.key.value if known else error.code().name


def registrar(settings, log, timing=None, lookup=None, claims=None):
    """An in-process Registrar on real parts (Kafka lookup, SQLite claims, blob store, seal) writing to `log`."""
    from registry_service.claiming import Timing
    from registry_service.handlers import Registrar
    from registry_service.receipt import ReceiptIssuer
    from registry_service.wiring import build_claims, build_intake, build_seal, build_sede
    from ventanilla.adapters.blob_store import DirectoryBlobStore
    from ventanilla.adapters.clock import SystemClock
    from ventanilla.adapters.log_lookup import RegistrationLookup

    lookup = lookup or RegistrationLookup(settings.kafka.bootstrap_servers, settings.topics.invoice_events)
    issuer = ReceiptIssuer(build_seal(settings), build_sede(settings, "test"), SystemClock())
    return Registrar(build_intake(settings), claims or build_claims(settings),
                     DirectoryBlobStore(settings.path("blobs")),
                     log, issuer, SystemClock(), lookup=lookup, timing=timing or Timing())


def pdf_seal_status(pdf: bytes, trust_root_pem: bytes):
    """pyHanko's validation status of the PDF's only signature, trusting one root."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = x509.load_pem_x509_certificate(trust_root_pem).public_bytes(serialization.Encoding.DER)
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[asn1_x509.Certificate.load(root)]))


def pdf_csv(pdf: bytes) -> str:
    """The CSV a receipt states in its document information (Subject: "CSV <code>")."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    subject = str(PdfFileReader(io.BytesIO(pdf)).trailer["/Info"]["/Subject"])
    assert subject.startswith("CSV ")
    return subject[4:]

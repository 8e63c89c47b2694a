"""Helpers for lifecycle end-to-end tests: SOAP calls by operation, back-office messages, feedback and log reads."""
from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Callable

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from lxml import etree

from ventanilla.adapters.event_codec import decode
from ventanilla.adapters.invoice_messages import timestamp
from ventanilla.api.v1 import backoffice_pb2, invoice_pb2
from ventanilla.config import Settings

from tests.support.invoices import fresh_invoice

from . import soap

SAMPLE = "v3.2.2/invopop_invoice-face_unsigned.xml"
XML = "text/xml; charset=utf-8"


def call(settings: Settings, operation: str, body: str) -> etree._Element:
    """POST one operation; the Body element (a Fault is returned as it is, not raised)."""
    response = soap.post(settings.edge.url, XML, soap.envelope(operation, body))
    return soap.parse(response)[0]


def fields(element: etree._Element | None) -> dict[str, str]:
    """Child tag → text of a result element."""
    assert element is not None
    return {child.tag: (child.text or "") for child in element}


def register(settings: Settings, number: str | None = None,
             sign: Callable[[bytes], bytes] | None = None) -> tuple[int, str]:
    """Register a copy of the public sample under a fresh invoice number (signed if sign); its id and number."""
    invoice = fresh_invoice(SAMPLE, number or f"LC{uuid.uuid4().hex[:10].upper()}", sign=sign)
    number = invoice.number
    body = soap.parse(soap.post(settings.edge.url, *soap.enviar_inline(invoice.document)))[0]
    result = body.find(f"{{{soap.NS}}}enviarFacturaResponse/return")
    assert result is not None, etree.tostring(body)
    return int(fields(result)["id"]), number


def factura(settings: Settings, invoice_id: int) -> dict[str, str]:
    """consultarFactura's fields (without the receipt bytes)."""
    body = call(settings, "consultarFactura", f"<idFactura>{invoice_id}</idFactura>")
    found = fields(body.find(f"{{{soap.NS}}}consultarFacturaResponse/return"))
    found.pop("comprobanteRegistro", None)
    return found


def estado(settings: Settings, invoice_id: int) -> tuple[str, str]:
    """consultarEstadoMotivoFactura: (estadoFactura, observaciones)."""
    body = call(settings, "consultarEstadoMotivoFactura", f"<idFactura>{invoice_id}</idFactura>")
    answer = fields(body.find(f"{{{soap.NS}}}consultarEstadoMotivoFacturaResponse/respuestaEstadoFactura"))
    return answer.get("estadoFactura", ""), answer.get("observaciones", "")


def anular(settings: Settings, invoice_id: int, motivo: str) -> etree._Element:
    """anularFactura; the Body (answer or Fault)."""
    return call(settings, "anularFactura", f"<idFactura>{invoice_id}</idFactura><motivoAnulacion>{motivo}"
                                           f"</motivoAnulacion>")


def wait_state(settings: Settings, invoice_id: int, state: str, timeout_s: float = 30.0) -> tuple[str, str]:
    """Poll consultarEstadoMotivoFactura until the invoice shows the state; (estado, observaciones)."""
    deadline = time.monotonic() + timeout_s
    while True:
        seen = estado(settings, invoice_id)
        if seen[0] == state or time.monotonic() > deadline:
            assert seen[0] == state, f"invoice {invoice_id} shows {seen}, not {state}"
            return seen
        time.sleep(0.1)


def cli(env: dict[str, str], *args: str) -> str:
    """Run `ventanilla ARGS` with the stack's environment; its stdout (it must succeed)."""
    done = subprocess.run([sys.executable, "-m", "ventanilla.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def state_update(invoice_id: int, state: str, message_id: str | None = None, remarks: str = "",
                 source: str = "rcf-test") -> tuple[str, bytes]:
    """A BackOfficeMessage with a state update: (message id, bytes)."""
    message_id = message_id or str(uuid.uuid4())
    update = backoffice_pb2.BackOfficeStateUpdate(
        invoice_id=invoice_id, state=invoice_pb2.InvoiceState.Value(state), observaciones=remarks,
        message_id=message_id, source_system=source, occurred_at=timestamp(_now()))
    return message_id, backoffice_pb2.BackOfficeMessage(state_update=update).SerializeToString()


def _now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)


def producer(settings: Settings) -> KafkaProducer:
    """A plain producer, as a back office would use."""
    return KafkaProducer(bootstrap_servers=settings.kafka.bootstrap_servers, acks="all", linger_ms=2)


def read_all(settings: Settings, topic: str, idle_s: float = 1.0) -> list:
    """Every record of a topic from the beginning until nothing new arrives for idle_s."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, group_id=None,
                             enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends, records = consumer.end_offsets(tps), []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < end for tp, end in ends.items()) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=int(idle_s * 1000)).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def refusals(settings: Settings) -> dict[str, backoffice_pb2.UpdateRefused]:
    """The feedback topic so far, by refused message id (the last of each)."""
    found = (backoffice_pb2.UpdateRefused.FromString(r.value) for r in read_all(settings, settings.topics.backoffice_feedback))
    return {m.refused_message_id: m for m in found}


def wait_refusal(settings: Settings, message_id: str, timeout_s: float = 30.0) -> backoffice_pb2.UpdateRefused:
    """Wait until the feedback topic holds a refusal of this message."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = refusals(settings).get(message_id)
        if found is not None:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no refusal of {message_id} on {settings.topics.backoffice_feedback}")


def invoice_events(settings: Settings, invoice_id: int) -> list:
    """The decoded events of one invoice, in log order."""
    return [e for e in (decode(r.value) for r in read_all(settings, settings.topics.invoice_events))
            if e.invoice_id == invoice_id]

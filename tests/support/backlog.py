"""A history of invoice events written straight to the log (registration + three updates per invoice)."""
from __future__ import annotations

import time
from dataclasses import replace

from kafka import KafkaProducer

from ventanilla.adapters.event_codec import encode
from ventanilla.domain.invoice import InvoiceKey, State

from tests.unit.domain.factories import changed, registered

STEPS = (State.REGISTRADA_RCF, State.CONTABILIZADA, State.PAGADA)


def produce_events(bootstrap: str, topic: str, total: int, first_id: int = 1) -> float:
    """Write `total` events for invoices first_id, first_id+1, … with a batched producer; seconds taken."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=50, batch_size=1024 * 1024,
                             max_request_size=8 * 1024 * 1024)
    template, started = registered(), time.perf_counter()
    for invoice_id in range(first_id, first_id + total // 4):
        reg = replace(template.invoice, id=invoice_id, key=InvoiceKey("B12345678", 2026, "A-", str(invoice_id)))
        key = str(invoice_id).encode()
        producer.send(topic, key=key, value=encode(replace(template, invoice_id=invoice_id, invoice=reg)))
        for step, state in enumerate(STEPS, 1):
            event = replace(changed(state, step), invoice_id=invoice_id, message_id=f"m-{invoice_id}-{step}")
            producer.send(topic, key=key, value=encode(event))
    producer.flush()
    producer.close()
    return time.perf_counter() - started

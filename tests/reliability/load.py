"""The load a fault meets: suppliers submitting and cancelling, a back office moving invoices on.

Suppliers retry as real clients do: on facturae.error.registro or a transport error they resubmit the
same invoice (same bytes) until they get an id, facturaRepetida (then they look the invoice up by its
values) or another fault. Every id is read back at once (a caller sees its own writes).
"""
from __future__ import annotations

import itertools
import queue
import threading
import time
import uuid
from dataclasses import dataclass

from kafka import KafkaProducer

from ventanilla.adapters.event_log import invoice_partition_key

from tests.e2e import lifecycle as lc
from tests.support.invoices import Invoice, fresh_invoice

from .clients import INVALIDA, REPETIDA, Answer, Journal, SoapClient
from .stack import ChaosStack

SAMPLE = "v3.2.2/invopop_invoice-face_unsigned.xml"
REASON = "Anulada por la prueba de fallos"


def por_valores(invoice: Invoice) -> str:
    """The tuple parameters of a PorValores operation."""
    serie = f"<serie>{invoice.series}</serie>" if invoice.series else ""
    return (f"<nifcifProveedor>{invoice.supplier_nif}</nifcifProveedor><ejercicio>{invoice.issue_date.year}"
            f"</ejercicio>{serie}<numeroFactura>{invoice.number}</numeroFactura>")


@dataclass(frozen=True)
class Pace:
    """How clients behave: read timeout, pause between retries, when they give up."""

    timeout_s: float = 60.0
    retry_pause_s: float = 0.5
    give_up_s: float = 180.0
    think_s: float = 0.5  # between one supplier's invoices


class Supplier:
    """Submits invoices one after another (each until a final answer), reads each back."""

    def __init__(self, stack: ChaosStack, journal: Journal, pace: Pace, numbers, registered=lambda _id: None):
        cert, ca = stack.client
        self.client = SoapClient(stack.settings.edge.url, cert, ca, journal, pace.timeout_s)
        self._journal, self._pace, self._numbers, self._registered = journal, pace, numbers, registered

    def until(self, call, label: str) -> Answer:
        """Repeat a call while the answer is retryable, up to the give-up time."""
        deadline = time.monotonic() + self._pace.give_up_s
        while True:
            answer = call()
            if not answer.retryable:
                return answer
            if time.monotonic() > deadline:
                self._journal.violation(f"{label}: still {answer.key or answer.detail} after {self._pace.give_up_s} s")
                return answer
            time.sleep(self._pace.retry_pause_s)

    def submit(self, invoice: Invoice | None = None) -> int | None:
        """Register a fresh invoice through every fault; its id, or None."""
        invoice = invoice or fresh_invoice(SAMPLE, next(self._numbers))
        number = invoice.number

        def attempt() -> Answer:
            answer = self.client.enviar(invoice.document)
            self._journal.attempt(number, answer)
            return answer

        final = self.until(attempt, f"invoice {number}")
        if final.ok:
            invoice_id = int(final.field("id"))
            self._journal.note("registered", number, invoice_id)
            self.read_back(f"<idFactura>{invoice_id}</idFactura>", f"invoice {invoice_id} ({number})", "consultarFactura")
            self._registered(invoice_id)
            return invoice_id
        if final.key == REPETIDA:
            self._journal.note("repeated", number, {"tuple": por_valores(invoice)})
            self.read_back(por_valores(invoice), f"invoice {number} answered {REPETIDA}", "consultarFacturaPorValores")
        elif not final.retryable:
            self._journal.violation(f"invoice {number}: {final.key}: {final.detail}")
        return None

    def read_back(self, body: str, label: str, operation: str) -> bool:
        """Query what the supplier was told exists; 'no such invoice' is a violation."""
        answer = self.until(lambda: self.client.call(operation, body), label)
        if answer.key == INVALIDA:
            self._journal.violation(f"{label}: {operation} answered {INVALIDA} ({answer.detail})")
        return answer.ok

    def cancel(self, invoice_id: int) -> None:
        """anularFactura until final; a refusal after a lost answer is checked against the state."""
        body = f"<idFactura>{invoice_id}</idFactura><motivoAnulacion>{REASON}</motivoAnulacion>"
        tries = []

        def attempt() -> Answer:
            tries.append(self.client.call("anularFactura", body))
            return tries[-1]

        final = self.until(attempt, f"cancellation of {invoice_id}")
        if not final.ok and len(tries) > 1:  # an earlier try may have cancelled it: ask
            state = self.until(lambda: self.client.call("consultarEstadoMotivoFactura",
                                                        f"<idFactura>{invoice_id}</idFactura>"), f"state of {invoice_id}")
            final = state if state.ok and state.field("estadoFactura") == "ANULADA" else final
        if final.ok:
            self._journal.note("cancelled", invoice_id, REASON)
        elif not final.retryable:
            self._journal.violation(f"cancellation of {invoice_id}: {final.key}: {final.detail}")


class BackOffice:
    """Moves invoices to REGISTRADA_RCF, each message delivered twice, resent until acknowledged."""

    def __init__(self, stack: ChaosStack, journal: Journal):
        self._settings, self._journal = stack.settings, journal
        self._producer: KafkaProducer | None = None

    def send(self, invoice_id: int, state: str = "REGISTRADA_RCF", message_id: str | None = None) -> str:
        """Publish one update (twice); its message id."""
        message_id, value = lc.state_update(invoice_id, state, message_id, remarks=f"{state} {invoice_id}")
        self._journal.sent(invoice_id, message_id)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                self._producer = self._producer or KafkaProducer(
                    bootstrap_servers=self._settings.kafka.bootstrap_servers, acks="all", linger_ms=2,
                    enable_idempotence=False, request_timeout_ms=5000, delivery_timeout_ms=10000,
                    reconnect_backoff_max_ms=1000)
                for _ in range(2):
                    self._producer.send(self._settings.topics.backoffice_updates,
                                        key=invoice_partition_key(invoice_id), value=value).get(timeout=15)
                return message_id
            except Exception:  # noqa: BLE001 - a back office resends until its broker acknowledges
                self.close()
                time.sleep(0.5)
        self._journal.violation(f"back office: update {message_id} of {invoice_id} never acknowledged")
        return message_id

    def close(self) -> None:
        """Drop the producer (a new one is made for the next message)."""
        if self._producer is not None:
            self._producer.close(timeout=0)
            self._producer = None


class Load:
    """Suppliers submitting, one of them cancelling every third invoice, a back office for the others."""

    def __init__(self, stack: ChaosStack, journal: Journal, pace: Pace, suppliers: int = 3):
        tag, counter, lock = uuid.uuid4().hex[:6].upper(), itertools.count(1), threading.Lock()

        def numbers():
            while True:
                with lock:
                    yield f"R{tag}{next(counter):06d}"

        self.stack, self.journal, self.pace, self._numbers = stack, journal, pace, numbers()
        self._stop = threading.Event()
        self._to_cancel: queue.Queue = queue.Queue()
        self._to_move: queue.Queue = queue.Queue()
        canceller = self.supplier()
        back_office = self._back_office = BackOffice(stack, journal)
        self._threads = [threading.Thread(target=self._submitting, args=(self.supplier(self._registered),),
                                          name=f"supplier-{n}", daemon=True) for n in range(suppliers)]
        self._threads += [threading.Thread(target=self._draining, args=(self._to_cancel, canceller.cancel),
                                           name="canceller", daemon=True),
                          threading.Thread(target=self._draining, args=(self._to_move, back_office.send),
                                           name="back-office", daemon=True)]

    def fresh(self) -> Invoice:
        """A new invoice with the load's next number."""
        return fresh_invoice(SAMPLE, next(self._numbers))

    def supplier(self, registered=lambda _id: None) -> Supplier:
        """A supplier sharing the load's invoice numbers (the load's own, or a probe)."""
        return Supplier(self.stack, self.journal, self.pace, self._numbers, registered)

    def start(self) -> None:
        """Start every client thread."""
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float) -> None:
        """Let each client finish what it started (it retries until a final answer), then end."""
        self._stop.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
            if thread.is_alive():
                self.journal.violation(f"{thread.name} did not finish within {timeout_s} s")
        self._back_office.close()

    def _registered(self, invoice_id: int) -> None:
        (self._to_cancel if invoice_id % 3 == 0 else self._to_move).put(invoice_id)

    def _submitting(self, supplier: Supplier) -> None:
        while not self._stop.is_set():
            supplier.submit()
            self._stop.wait(self.pace.think_s)

    def _draining(self, work: queue.Queue, handle) -> None:
        while not (self._stop.is_set() and work.empty()):
            try:
                handle(work.get(timeout=0.2))
            except queue.Empty:
                continue

"""One fault at a time under load, and how long the system takes to be whole again.

Recovery is measured by a probe that starts with the fault: it submits fresh invoices (each once)
until one is registered, reads that invoice back until the answer is current, then sends a back-office
update for it and waits until consultas show it.
"""
from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass, field

from ventanilla.stack import REGISTRY_HEALTH, HttpReady

from .clients import Journal
from .load import BackOffice, Load
from .stack import ChaosStack

KILLS = ("registry", "status", "status-fresh", "soap-edge", "broker")


@dataclass
class Recovery:
    """Seconds from the fault (a kill) or from the thaw (a freeze) until each kind of request works again."""

    fault: str
    round: int
    since: float = 0.0  # wall clock the times count from
    ready_s: float | None = None  # the restarted process ready (health), or the registry SERVING after a thaw
    submission_s: float | None = None
    query_s: float | None = None
    backoffice_s: float | None = None
    notes: list[str] = field(default_factory=list)


class Health:
    """Samples the registry's gRPC health and the edge's /readyz once a second, in a thread."""

    def __init__(self, stack: ChaosStack):
        self._settings, self.samples = stack.settings, []  # (wall clock, registry serving, edge ready)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)

    def start(self) -> None:
        """Start sampling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        registry, edge = REGISTRY_HEALTH, HttpReady()
        while not self._stop.wait(1.0):
            self.samples.append((time.time(), registry(self._settings, 1.0), edge(self._settings, 4.0)))

    def between(self, start: float, end: float) -> list[tuple[float, bool, bool]]:
        """The samples taken in a window."""
        return [s for s in list(self.samples) if start <= s[0] <= end]


def probe(load: Load, back_office: BackOffice, recovery: Recovery, limit_s: float) -> None:
    """Measure the recovery (run from the fault on); a step not done within limit_s is a violation."""
    journal, supplier = load.journal, load.supplier()
    deadline = time.monotonic() + limit_s
    invoice_id = None
    while invoice_id is None and time.monotonic() < deadline:
        invoice = load.fresh()
        answer = supplier.client.enviar(invoice.document)
        journal.attempt(invoice.number, answer)
        if answer.ok:
            invoice_id = int(answer.field("id"))
            recovery.submission_s = answer.ended - recovery.since
            journal.note("registered", invoice.number, invoice_id)
        else:
            time.sleep(0.2)
    if invoice_id is None:
        return journal.violation(f"{recovery.fault}: no invoice registered within {limit_s} s")
    while recovery.query_s is None and time.monotonic() < deadline:
        answer = supplier.client.call("consultarFactura", f"<idFactura>{invoice_id}</idFactura>")
        if answer.ok:
            recovery.query_s = answer.ended - recovery.since
        else:
            time.sleep(0.2)
    back_office.send(invoice_id)
    while recovery.backoffice_s is None and time.monotonic() < deadline:
        answer = supplier.client.call("consultarEstadoMotivoFactura", f"<idFactura>{invoice_id}</idFactura>")
        if answer.ok and answer.field("estadoFactura") == "REGISTRADA_RCF":
            recovery.backoffice_s = answer.ended - recovery.since
        else:
            time.sleep(0.2)
    if recovery.query_s is None or recovery.backoffice_s is None:
        journal.violation(f"{recovery.fault}: queries or back-office updates not current within {limit_s} s")


def inject(stack: ChaosStack, load: Load, health: Health, fault: str, round_: int, freeze_s: float,
           limit_s: float, restart_delay_s: float = 0.5) -> Recovery:
    """Inject one fault, repair it, and measure the recovery; a service that ended by itself is a violation."""
    recovery, back_office = Recovery(fault, round_), BackOffice(stack, load.journal)
    try:
        _inject(stack, load, back_office, health, recovery, freeze_s, limit_s, restart_delay_s)
    finally:
        back_office.close()
        for name in stack.revive():
            load.journal.violation(f"{fault}: the {name} service ended by itself (started again)")
    return recovery


def _inject(stack: ChaosStack, load: Load, back_office: BackOffice, health: Health, recovery: Recovery,
            freeze_s: float, limit_s: float, restart_delay_s: float) -> None:
    fault = recovery.fault
    if fault == "freeze":
        frozen = time.time()
        stack.freeze()
        time.sleep(freeze_s)
        stack.thaw()
        recovery.since = time.time()
        _probe_in_thread(load, back_office, recovery, limit_s).join(limit_s + 30)
        serving = _check_freeze_health(load.journal, health, frozen, recovery.since, limit_s)
        recovery.ready_s = None if serving is None else serving - recovery.since
        return
    name = "status" if fault == "status-fresh" else fault
    recovery.since = time.time()
    stack.kill(name)
    prober = _probe_in_thread(load, back_office, recovery, limit_s)
    if fault == "status-fresh":  # a replica on a new volume: it must replay the whole log before answering
        shutil.rmtree(stack.settings.path("status"))
    time.sleep(restart_delay_s)
    stack.start(name)
    recovery.ready_s = time.time() - recovery.since
    prober.join(limit_s + 30)


def _probe_in_thread(load: Load, back_office: BackOffice, recovery: Recovery, limit_s: float) -> threading.Thread:
    thread = threading.Thread(target=probe, args=(load, back_office, recovery, limit_s), name="probe", daemon=True)
    thread.start()
    return thread


def _check_freeze_health(journal: Journal, health: Health, frozen: float, thawed: float,
                         limit_s: float) -> float | None:
    """While the broker is frozen the registry must say NOT_SERVING (and the edge not ready); after, SERVING.

    The wall clock of the first sample after the thaw with the registry SERVING (None if none).
    """
    during = health.between(frozen, thawed)
    if not any(not registry for _, registry, _ in during):
        journal.violation(f"freeze: the registry's health said SERVING in all {len(during)} samples while the "
                          "broker was frozen")
    if not any(not edge for _, _, edge in during):
        journal.violation(f"freeze: the edge's /readyz said ready in all {len(during)} samples while the broker "
                          "was frozen")
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        after = health.between(thawed, time.time())
        if after and after[-1][1] and after[-1][2]:
            return next(at for at, registry, _ in after if registry)
        time.sleep(1.0)
    journal.violation(f"freeze: the registry or the edge not ready again within {limit_s} s of the thaw")
    return None

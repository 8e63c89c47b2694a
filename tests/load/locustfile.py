"""Locust scenarios: suppliers submitting, polling and cancelling; back offices moving invoices (make load).

Run by tests/load/run.py (or `locust -f tests/load/locustfile.py` with PYTHONPATH at the checkout and the
VENTANILLA_LOAD_* variables of tests/load/target.py). VENTANILLA_LOAD_PROFILE: mix, step or smoke.
"""
from __future__ import annotations

import os
import random
import time

import gevent
from locust import HttpUser, constant_throughput, events, task

from tests.e2e import soap
from tests.load import backoffice, soap_calls
from tests.load.documents import Documents, signer_of
from tests.load.mix import GROUP_QUERIES, POLLS_BY_ID, POLLS_BY_TUPLE, Rates, plan
from tests.load.pool import NEXT_STATE, REJECTABLE, Pool, Registered
from tests.load.profiles import Profile  # noqa: F401 - Locust finds the shape here
from tests.load.target import Target

LAG_NAME = "back-office update → visible"
LAG_TIMEOUT_S = 30.0


class Kit:
    """What every user of this generator process shares."""

    def __init__(self, env=os.environ):
        self.target = Target.from_env(env)
        self.documents = Documents(signer_of(self.target), self.target.template)
        self.pool = Pool()
        self.backoffice = backoffice.connect(self.target)
        self.rng = random.Random()


@events.init.add_listener
def _init(environment, **_kwargs):
    environment.ventanilla = kit = Kit()
    environment.host = kit.target.soap_url
    scale = float(os.environ.get("VENTANILLA_LOAD_SCALE", "1"))
    rate = os.environ.get("VENTANILLA_LOAD_BACKOFFICE_RATE")
    crowds = plan(Rates.at(scale, float(rate) if rate else None))
    for user, kind in ((Submitter, "submitter"), (Poller, "poller"), (Canceller, "canceller"),
                       (BackOfficeUser, "backoffice")):
        user.weight = crowds[kind].users
        user.wait_time_rate = crowds[kind].per_user_rate  # read by the step profile
        user.wait_time = constant_throughput(crowds[kind].per_user_rate)


@events.quitting.add_listener
def _quit(environment, **_kwargs):
    environment.ventanilla.backoffice.close()


class SoapUser(HttpUser):
    """A caller of the SOAP endpoint with the target's client certificate."""

    abstract = True

    def on_start(self):
        self.kit: Kit = self.environment.ventanilla
        target = self.kit.target
        if target.client_cert:
            self.client.cert = (str(target.client_cert), str(target.client_key))
        self.client.verify = str(target.server_ca) if target.server_ca else True
        self.client.trust_env = False

    def soap(self, name: str, content_type: str, body: bytes):
        """POST one request; the SOAP Body of a good answer, None for a fault (counted by its catalogue key)."""
        with self.client.post(self.kit.target.soap_url, data=body, name=name, catch_response=True,
                              headers={"Content-Type": content_type, "SOAPAction": '""'}, timeout=120) as answer:
            try:
                parsed = soap.parse(answer)[0]
            except Exception:  # noqa: BLE001 - not SOAP at all: an HTTP error page, a reset
                reason = type(answer.error).__name__ if answer.status_code == 0 else f"HTTP {answer.status_code}"
                answer.failure(f"no SOAP answer: {reason}")
                return None
            key = soap_calls.fault_key(parsed)
            if key is not None:
                answer.failure(key)
                return None
            return parsed


class Submitter(SoapUser):
    """A supplier's integrator submitting signed invoices of the size mix, over MTOM or inline."""

    @task
    def enviar(self):
        submission = self.kit.documents.submission()
        answer = self.soap(submission.name, submission.content_type, submission.body)
        if answer is not None:
            self.kit.pool.add(Registered(soap_calls.registered_id(answer), submission.invoice.tupla))


class Poller(SoapUser):
    """A supplier polling states by id, by tuple, and in groups of up to 500."""

    @task(int(POLLS_BY_ID * 10))
    def by_id(self):
        for invoice in self.kit.pool.sample(1):
            self.soap("consultarEstadoFactura", *soap_calls.estado(invoice.id))

    @task(int(POLLS_BY_TUPLE * 10))
    def by_tuple(self):
        for invoice in self.kit.pool.sample(1):
            self.soap("consultarEstadoFacturaPorValores", *soap_calls.estado_por_valores(invoice.tupla))

    @task(max(1, int(GROUP_QUERIES * 10)))
    def group(self):
        invoices = self.kit.pool.sample(self.kit.rng.randint(50, soap_calls.MAX_GROUP))
        if not invoices:
            return
        if self.kit.rng.random() < 0.5:
            self.soap("consultarGrupoEstadosFactura", *soap_calls.grupo(i.id for i in invoices))
        else:
            request = soap_calls.grupo_por_valores(i.tupla for i in invoices)
            self.soap("consultarGrupoEstadoFacturasPorValores", *request)


class Canceller(SoapUser):
    """A supplier cancelling invoices it sent by mistake."""

    @task
    def anular(self):
        invoice = self.kit.pool.take(lambda i: i.state in REJECTABLE and not i.cancellation)
        if invoice is None:
            return
        try:
            if self.soap("anularFactura", *soap_calls.anular(invoice.id, "Enviada por error")) is not None:
                invoice.cancellation = "requested"
        finally:
            self.kit.pool.release(invoice)


class BackOfficeUser(SoapUser):
    """An administration's back office moving invoices, rejecting some cancellations; it times how long until
    the supplier sees each change (the projection lag seen from a client)."""

    @task
    def act(self):
        pool, rng = self.kit.pool, self.kit.rng
        invoice = pool.take(lambda i: i.cancellation == "requested") if rng.random() < 0.5 else None
        invoice = invoice or pool.take(lambda i: i.state in NEXT_STATE and i.cancellation != "requested"
                                       and i.cancellation != "accepted")
        if invoice is None:
            return
        try:
            self._act_on(invoice, rng)
        finally:
            pool.release(invoice)

    def _act_on(self, invoice: Registered, rng: random.Random) -> None:
        started = time.perf_counter()
        if invoice.cancellation == "requested":
            reject = rng.random() < 0.5
            self.kit.backoffice.verdict(invoice.id, accept=not reject, motivo="Factura en tramitación")
            invoice.cancellation = "rejected" if reject else "accepted"
            if not reject:
                return  # stays ANULADA: nothing new for the supplier to see
            expected = invoice.state
        else:
            rejected = invoice.state in REJECTABLE and rng.random() < 0.05
            expected = "RECHAZADA" if rejected else NEXT_STATE[invoice.state]
            self.kit.backoffice.set_state(invoice.id, expected, "Prueba de carga")
            invoice.state = expected
        self._time_until_visible(invoice.id, expected, started)

    def _time_until_visible(self, invoice_id: int, expected: str, started: float) -> None:
        seen, error = None, None
        while seen != expected:
            if time.perf_counter() - started > LAG_TIMEOUT_S:
                error = TimeoutError(f"not visible after {LAG_TIMEOUT_S:.0f} s (shows {seen})")
                break
            answer = self.soap("consultarEstadoFactura (lag probe)", *soap_calls.estado(invoice_id))
            seen = soap_calls.estado_of(answer) if answer is not None else seen
            if seen != expected:
                gevent.sleep(0.05)
        events.request.fire(request_type="LAG", name=LAG_NAME, response_time=(time.perf_counter() - started) * 1000,
                            response_length=0, exception=error, context={})

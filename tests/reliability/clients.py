"""A SOAP client as integrators run one (HTTPS, client certificate, a read timeout), and a journal of every answer."""
from __future__ import annotations

import base64
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import requests
from lxml import etree

from ventanilla.domain.errors import ErrorKey

from tests.e2e import soap

CATALOGUE = frozenset(key.value for key in ErrorKey)
REGISTRO, REPETIDA = ErrorKey.REGISTRO.value, ErrorKey.FACTURA_REPETIDA.value
INVALIDA = ErrorKey.FACTURA_INVALIDA.value
XML = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    """One call as the client saw it: a result, a SOAP fault (HTTP status, key) or a transport error."""

    operation: str
    started: float  # wall clock, comparable with the registry's registration instants
    ended: float
    status: int | None = None  # None: no HTTP answer (refused, reset, timed out)
    key: str | None = None
    detail: str = ""
    result: etree._Element | None = None

    @property
    def ok(self) -> bool:
        """An answer with a result."""
        return self.result is not None

    @property
    def retryable(self) -> bool:
        """What a client resubmits after: a transport error or facturae.error.registro."""
        return self.status is None or self.key == REGISTRO

    def field(self, name: str) -> str:
        """The text of the first element of that name in the result."""
        return self.result.findtext(f".//{name}") or ""


class SoapClient:
    """One integrator connection pool; every call is journalled."""

    def __init__(self, url: str, cert: tuple[str, str], ca: str, journal: "Journal", timeout_s: float):
        self._url, self._journal, self._timeout_s = url, journal, timeout_s
        self._http = requests.Session()
        self._http.cert, self._http.verify, self._http.trust_env = cert, ca, False

    def call(self, operation: str, body: str) -> Answer:
        """POST one operation; never raises for what a server or network can do."""
        started = time.time()
        try:
            response = self._http.post(self._url, data=soap.envelope(operation, body), timeout=self._timeout_s,
                                       headers={"Content-Type": XML, "SOAPAction": '""'})
        except requests.RequestException as error:
            answer = Answer(operation, started, time.time(), detail=type(error).__name__)
        else:
            answer = _answer(operation, started, response)
        self._journal.saw(answer)
        return answer

    def enviar(self, facturae: bytes) -> Answer:
        """enviarFactura with the Facturae inline."""
        return self.call("enviarFactura", f"<facturae>{base64.b64encode(facturae).decode()}</facturae>")


def _answer(operation: str, started: float, response: requests.Response) -> Answer:
    ended = time.time()
    try:
        body = etree.fromstring(response.content).find(f"{{{soap.SOAP}}}Body")
    except etree.XMLSyntaxError:
        body = None
    if body is None or len(body) == 0:
        return Answer(operation, started, ended, response.status_code, detail=response.text[:200])
    fault = body.find(f"{{{soap.SOAP}}}Fault")
    if fault is None:
        return Answer(operation, started, ended, response.status_code, result=body[0])
    key = fault.findtext(f"detail/{{{soap.NS}}}ServicioError/mensajesError")
    return Answer(operation, started, ended, response.status_code, key, fault.findtext("faultstring") or "")


@dataclass
class Journal:
    """Every answer, the final outcome of every invoice, what the back office sent, and what went wrong."""

    answers: list[Answer] = field(default_factory=list)
    attempts: dict[str, list[Answer]] = field(default_factory=lambda: defaultdict(list))  # by invoice number
    registered: dict[str, int] = field(default_factory=dict)  # number -> id (answered with an id)
    repeated: dict[str, dict] = field(default_factory=dict)  # number -> tuple (answered facturaRepetida)
    sent_updates: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))  # id -> message ids
    cancelled: dict[int, str] = field(default_factory=dict)  # id -> reason (answered as cancelled)
    violations: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, answer: Answer) -> None:
        """Keep an answer; a fault outside the catalogue or not sent with HTTP 500 is a violation."""
        with self._lock:
            self.answers.append(answer)
        if answer.status is not None and not answer.ok:
            if answer.key not in CATALOGUE:
                self.violation(f"{answer.operation}: HTTP {answer.status} without a catalogue fault: {answer.detail!r}")
            elif answer.status != 500:
                self.violation(f"{answer.operation}: fault {answer.key} with HTTP {answer.status}, not 500")

    def attempt(self, number: str, answer: Answer) -> None:
        """Keep one submission attempt of an invoice."""
        with self._lock:
            self.attempts[number].append(answer)

    def note(self, table: str, key, value) -> None:
        """Record a fact in one of the tables (registered, repeated, cancelled)."""
        with self._lock:
            getattr(self, table)[key] = value

    def sent(self, invoice_id: int, message_id: str) -> None:
        """Record a back-office message sent for an invoice."""
        with self._lock:
            self.sent_updates[invoice_id].append(message_id)

    def violation(self, text: str) -> None:
        """Record something a correct system never does."""
        with self._lock:
            self.violations.append(f"{time.strftime('%H:%M:%S')} {text}")

    def ids(self) -> list[int]:
        """Every id an enviarFactura answered."""
        with self._lock:
            return list(self.registered.values())

"""Client certificates' revocation (CRLs, OCSP), refreshed in the background: a request looks its answer up, no I/O.

A certificate is judged the first time it calls (on that request), then again every `period_s` by a daemon thread
with freshly read trust material (new CRL files, fresh OCSP answers: no restart). Policy for a certificate whose
status cannot be established: `hard-fail` refuses it, `soft-fail` lets it in and logs it. Revoked: always refused.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Callable

from cryptography import x509

from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.config import Settings
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.trust import CertificateChecker, TrustMaterial

from soap_edge.identity.access import Access
from soap_edge.identity.caller import Caller

log = logging.getLogger("soap_edge.revocation")

GOOD, REVOKED, UNKNOWN = "good", "revoked", "unknown"
Judge = Callable[[bytes], str]  # a certificate's DER -> GOOD, REVOKED or UNKNOWN
MESSAGES = {REVOKED: "El certificado ha sido revocado por su autoridad de certificación.",
            UNKNOWN: "No se ha podido comprobar si el certificado está revocado; inténtelo de nuevo más tarde."}


class RevocationWatch:
    """The last known status of each certificate seen (at most `capacity`, least recently seen dropped)."""

    def __init__(self, judges: Callable[[], Judge], period_s: float, capacity: int = 10_000):
        self._judges, self._period_s, self._capacity = judges, period_s, capacity
        self._known: OrderedDict[str, tuple[bytes, str]] = OrderedDict()  # fingerprint -> (DER, status)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def status(self, fingerprint: str, der: bytes) -> str:
        """The status last established; a certificate seen for the first time is judged now."""
        with self._lock:
            known = self._known.get(fingerprint)
            if known is not None:
                self._known.move_to_end(fingerprint)
                return known[1]
        status = self._judge_safely(self._judges(), der)
        with self._lock:
            self._known[fingerprint] = (der, status)
            while len(self._known) > self._capacity:
                self._known.popitem(last=False)
        return status

    def refresh(self) -> None:
        """Judge every certificate seen again, with trust material read now."""
        judge = self._judges()
        with self._lock:
            seen = list(self._known.items())
        for fingerprint, (der, _) in seen:
            status = self._judge_safely(judge, der)
            with self._lock:
                if fingerprint in self._known:
                    self._known[fingerprint] = (der, status)

    def start(self) -> None:
        """Refresh every period in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="revocation-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._period_s):
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - keep the last statuses; try again next period
                log.exception("revocation refresh failed")

    @staticmethod
    def _judge_safely(judge: Judge, der: bytes) -> str:
        try:
            return judge(der)
        except Exception:  # noqa: BLE001 - unreadable material or a responder's garbage: not established
            log.warning("revocation status not established", exc_info=True)
            return UNKNOWN


class RevocationChecked:
    """An Access that first refuses a revoked certificate (or, hard-fail, one whose status is unknown)."""

    def __init__(self, inner: Access, watch: RevocationWatch, hard_fail: bool):
        self._inner, self._watch, self._hard_fail = inner, watch, hard_fail
        self.mode = inner.mode

    def caller(self, who: Caller, request_id: str) -> pb.Caller:
        """The inner access's caller, once the certificate's revocation status allows it."""
        status = self._watch.status(who.fingerprint, who.certificate)
        if status == REVOKED or (status == UNKNOWN and self._hard_fail):
            log.warning("certificate refused", extra={"request_id": request_id, "caller": str(who),
                                                      "fingerprint": who.fingerprint, "reason": status})
            raise DomainError(ErrorKey.CERTIFICADO_SIN_NIF, MESSAGES[status])
        if status == UNKNOWN:
            log.info("revocation status unknown; admitted (soft-fail)",
                     extra={"request_id": request_id, "fingerprint": who.fingerprint})
        return self._inner.caller(who, request_id)

    def ready(self) -> bool:
        return self._inner.ready()


def configured(settings: Settings, inner: Access) -> Access:
    """`inner`, checked against revocation as VENTANILLA_SOAP_CLIENT_REVOCATION says (its watch started)."""
    if settings.soap_client_revocation == "off":
        return inner

    def judges() -> Judge:
        material = TrustMaterial.load(settings.soap_client_ca, settings.crls)  # read again on every refresh
        checker = CertificateChecker(material, fetch=settings.revocation_fetch)
        return lambda der: checker.revocation(x509.load_der_x509_certificate(der), datetime.now(timezone.utc))

    watch = RevocationWatch(judges, settings.soap_client_revocation_period_s)
    watch.start()
    return RevocationChecked(inner, watch, hard_fail=settings.soap_client_revocation == "hard-fail")

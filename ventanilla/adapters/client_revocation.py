"""Client certificates' revocation (CRLs, OCSP), refreshed in the background: a request looks its answer up, no I/O.

Shared by the doors that take client certificates (the SOAP edge, the back-office gateway). A certificate is judged
the first time it calls (on that request), then again every `period_s` by a daemon thread with freshly read trust
material (new CRL files, fresh OCSP answers: no restart). Policy for a certificate whose status cannot be
established: `hard-fail` refuses it, `soft-fail` lets it in and logs it. Revoked: always refused.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from cryptography import x509

from ventanilla.facturae.trust import CertificateChecker, TrustMaterial

log = logging.getLogger("ventanilla.client_revocation")

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


class ClientRevocation:
    """A RevocationWatch and its policy: whether a certificate must be refused, and why."""

    def __init__(self, watch: RevocationWatch, hard_fail: bool):
        self._watch, self._hard_fail = watch, hard_fail

    def refusal(self, fingerprint: str, der: bytes) -> tuple[str, str] | None:
        """(REVOKED or UNKNOWN, a message for the caller) when the certificate is refused; None when admitted."""
        status = self._watch.status(fingerprint, der)
        if status == REVOKED or (status == UNKNOWN and self._hard_fail):
            return status, MESSAGES[status]
        if status == UNKNOWN:
            log.info("revocation status unknown; admitted (soft-fail)", extra={"fingerprint": fingerprint})
        return None

    def close(self, _timeout_s: float | None = None) -> None:
        """Stop refreshing (at once: nothing to wait for; a stop's closers are given a timeout)."""
        self._watch.stop()


def watched(policy: str, period_s: float, client_ca: Path, crls: Path | None, fetch: bool) -> ClientRevocation | None:
    """The revocation check a door's settings ask for (`off`: None), its watch started."""
    if policy == "off":
        return None

    def judges() -> Judge:
        material = TrustMaterial.load(client_ca, crls)  # read again on every refresh
        checker = CertificateChecker(material, fetch=fetch)
        return lambda der: checker.revocation(x509.load_der_x509_certificate(der), datetime.now(timezone.utc))

    watch = RevocationWatch(judges, period_s)
    watch.start()
    return ClientRevocation(watch, hard_fail=policy == "hard-fail")

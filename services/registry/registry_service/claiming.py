"""Holding a business key for one registration: wait behind a pending claim, settle a stale one, read back."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Protocol

from ventanilla.adapters.claims import ClaimPending
from ventanilla.adapters.log_lookup import Found
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.domain.invoice import InvoiceKey

log = logging.getLogger("registry.claims")
LOOKUP_S = 10.0  # one read-back attempt at most


class Claims(Protocol):
    """Business-key claims with a unique constraint; receipts filed by CSV once registered.

    claim() refuses a key held by a registered invoice with facturaRepetida (or ejercicio.diario),
    and a key whose registration is still pending with ClaimPending.
    """

    def claim(self, key, issue_date, facturae_sha256, now, csv=None) -> int: ...
    def confirm(self, invoice_id: int, csv: str | None, receipt_sha256: str) -> None: ...
    def is_pending(self, invoice_id: int) -> bool: ...
    def release(self, invoice_id: int) -> None: ...
    def receipt_of(self, csv: str) -> str | None: ...


Lookup = Callable[[int, datetime, float], "Found | bool | None"]


@dataclass(frozen=True)
class Timing:
    """How long a submission may take, and what an append and its read-back need of it.

    budget_s: the whole submission when the caller sets no deadline (else the caller's deadline);
    reserve_s: left over at the claim for the append and at least one read-back, else nothing is tried;
    lease: a pending claim older than this is settled by reading the log (its registrar died or gave up).
    """

    budget_s: float = 50.0
    reserve_s: float = 25.0
    lease: timedelta = timedelta(seconds=80)


class Claimer:
    """Claims keys for the registrar; a pending claim is never taken for a registered one."""

    def __init__(self, claims: Claims, lookup: Lookup | None, timing: Timing):
        self._claims, self._lookup, self._timing = claims, lookup, timing

    def claim(self, key: InvoiceKey, issue_date, facturae_sha256: str, now: datetime, csv: str,
              deadline: float) -> int:
        """Claim the key; behind a pending claim, wait for its outcome (or settle it by the log, once stale)."""
        while True:
            try:
                return self._claims.claim(key, issue_date, facturae_sha256, now, csv)
            except ClaimPending as pending:
                if pending.claimed_at < now - self._timing.lease:
                    self._settle(pending)
                elif not self._outcome_of(pending.invoice_id, deadline - self._timing.reserve_s):
                    raise
                # released (claim it now) or registered (the claim now answers facturaRepetida)

    def read_back(self, event: InvoiceRegistered, deadline: float) -> Found | bool | None:
        """Read the log until it tells (found, or surely absent) or the deadline passes (None)."""
        if self._lookup is None:
            return False
        while (left := deadline - time.monotonic()) > 0:
            found = self._lookup(event.invoice_id, event.occurred_at, min(left, LOOKUP_S))
            if found is not None:
                return found
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        return None

    def _outcome_of(self, invoice_id: int, until: float) -> bool:
        """Wait until a pending claim is confirmed or released; False if still pending at `until`."""
        while self._claims.is_pending(invoice_id):
            if time.monotonic() >= until:
                return False
            time.sleep(0.1)
        return True

    def _settle(self, pending: ClaimPending) -> None:
        """A claim pending for longer than any registrar works: the log says whether it registered."""
        found = self._lookup(pending.invoice_id, pending.claimed_at, LOOKUP_S) if self._lookup else None
        if found is None:
            log.warning("a stale claim could not be settled: the log cannot be read",
                        extra={"invoice_id": pending.invoice_id})
            raise pending
        if found is False:
            log.warning("stale claim released: its registration never reached the log",
                        extra={"invoice_id": pending.invoice_id})
            self._claims.release(pending.invoice_id)
        else:
            log.warning("stale claim confirmed: its registration is in the log",
                        extra={"invoice_id": pending.invoice_id})
            self._claims.confirm(pending.invoice_id, None, found.event.invoice.receipt.sha256)

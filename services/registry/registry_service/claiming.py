"""Holding a business key for one registration: wait behind a pending claim, settle a stale one, read back."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from ventanilla.domain.events import InvoiceRegistered
from ventanilla.domain.invoice import InvoiceKey
from ventanilla.ports import ABSENT, UNKNOWN, ClaimPending, Claims, Lookup, Outcome, ReadBack

log = logging.getLogger("registry.claims")
LOOKUP_S = 10.0  # one read-back attempt at most


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

    def read_back(self, event: InvoiceRegistered, deadline: float) -> ReadBack:
        """Read the log until it tells (FOUND, or surely ABSENT) or the deadline passes (UNKNOWN)."""
        if self._lookup is None:
            return ABSENT
        while (left := deadline - time.monotonic()) > 0:
            answer = self._lookup(event.invoice_id, event.occurred_at, min(left, LOOKUP_S))
            if answer.outcome is not Outcome.UNKNOWN:
                return answer
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        return UNKNOWN

    def _outcome_of(self, invoice_id: int, until: float) -> bool:
        """Wait until a pending claim is confirmed or released; False if still pending at `until`."""
        while self._claims.is_pending(invoice_id):
            if time.monotonic() >= until:
                return False
            time.sleep(0.1)
        return True

    def _settle(self, pending: ClaimPending) -> None:
        """A claim pending for longer than any registrar works: the log says whether it registered."""
        answer = self._lookup(pending.invoice_id, pending.claimed_at, LOOKUP_S) if self._lookup else UNKNOWN
        if answer.outcome is Outcome.UNKNOWN:
            log.warning("a stale claim could not be settled: the log cannot be read",
                        extra={"invoice_id": pending.invoice_id})
            raise pending
        if answer.outcome is Outcome.ABSENT:
            log.warning("stale claim released: its registration never reached the log",
                        extra={"invoice_id": pending.invoice_id})
            self._claims.release(pending.invoice_id)
        else:
            log.warning("stale claim confirmed: its registration is in the log",
                        extra={"invoice_id": pending.invoice_id})
            self._claims.confirm(pending.invoice_id, None, answer.event.invoice.receipt.sha256)

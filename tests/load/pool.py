"""The invoices this load generator registered, so that pollers, cancellers and back offices act on real ones."""
from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

NEXT_STATE = {"REGISTRADA": "REGISTRADA_RCF", "REGISTRADA_RCF": "CONTABILIZADA", "CONTABILIZADA": "PAGADA"}
REJECTABLE = ("REGISTRADA", "REGISTRADA_RCF")


@dataclass
class Registered:
    """One invoice: its id and tuple, the state this generator last made it, who is acting on it."""

    id: int
    tupla: dict
    state: str = "REGISTRADA"
    cancellation: str = ""  # "", "requested", "rejected", "accepted"
    busy: bool = field(default=False, repr=False)


class Pool:
    """The last invoices registered (bounded); users take one at a time to act on it."""

    def __init__(self, size: int = 20_000, rng: random.Random | None = None):
        self._items: deque[Registered] = deque(maxlen=size)
        self._rng = rng or random.Random()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, invoice: Registered) -> None:
        self._items.append(invoice)

    def sample(self, count: int) -> list[Registered]:
        """Up to count distinct invoices."""
        return self._rng.sample(list(self._items), min(count, len(self._items)))

    def take(self, wanted: Callable[[Registered], bool], tries: int = 50) -> Registered | None:
        """An invoice nobody is acting on that is wanted, marked busy; None if none found quickly."""
        if not self._items:
            return None
        for _ in range(tries):
            candidate = self._items[self._rng.randrange(len(self._items))]
            if not candidate.busy and wanted(candidate):
                candidate.busy = True
                return candidate
        return None

    @staticmethod
    def release(invoice: Registered) -> None:
        invoice.busy = False

"""Traffic rates from FACe's published volumes, and the Locust users that produce them."""
from __future__ import annotations

import math
from dataclasses import dataclass

MONTHLY_INVOICES = 1_165_291  # FACe, November 2019, national
AVERAGE_PER_SECOND = MONTHLY_INVOICES / (30 * 86_400)  # ≈ 0.45/s
PEAK_PER_SECOND = 2.7  # the national peak hour estimate (2–3/s): about 6x the average

# Per registered invoice: suppliers poll its state several times, sometimes in groups; about 1 % are
# cancelled (half of those rejected later by the back office); the back office moves each invoice about
# twice (REGISTRADA_RCF, CONTABILIZADA, some PAGADA or RECHAZADA).
POLLS_BY_ID, POLLS_BY_TUPLE, GROUP_QUERIES = 3.0, 1.0, 0.2
CANCELLATIONS = 0.01
BACKOFFICE_UPDATES = 2.0


@dataclass(frozen=True)
class Rates:
    """Operations per second of one traffic mix."""

    submissions: float
    polls: float  # by id and by tuple together
    group_queries: float
    cancellations: float
    backoffice_updates: float

    @classmethod
    def at(cls, scale: float, backoffice_rate: float | None = None) -> "Rates":
        """The national peak hour times scale (1.0 = all of Spain's suppliers at their busiest hour)."""
        submissions = PEAK_PER_SECOND * scale
        return cls(submissions, submissions * (POLLS_BY_ID + POLLS_BY_TUPLE), submissions * GROUP_QUERIES,
                   submissions * CANCELLATIONS,
                   backoffice_rate if backoffice_rate is not None else submissions * BACKOFFICE_UPDATES)


# Each simulated user paces itself to about one operation every this many seconds (constant_throughput), at most.
# Keep them away from the edge's 5 s keep-alive: a request sent as the server closes the idle connection fails
# (SSLError/ConnectionError, and requests does not retry a POST) — an artefact of the pacing, not of the stack.
PACING_S = {"submitter": 3.0, "poller": 2.0, "canceller": 30.0, "backoffice": 1.0}


@dataclass(frozen=True)
class Crowd:
    """How many users of one kind, and how many operations per second each aims at."""

    users: int
    per_user_rate: float


def plan(rates: Rates) -> dict[str, Crowd]:
    """The users of each kind that produce these rates at their pacing (at least one of each)."""
    per_kind = {"submitter": rates.submissions, "poller": rates.polls + rates.group_queries,
                "canceller": rates.cancellations, "backoffice": rates.backoffice_updates}
    crowds = {}
    for kind, rate in per_kind.items():
        count = max(1, math.ceil(rate * PACING_S[kind]))
        crowds[kind] = Crowd(count, rate / count)
    return crowds

"""bench_observability's verdict: from the median's 95 % confidence interval, which narrows with more rounds."""
from __future__ import annotations

import random
import statistics

from tests.benchmarks.bench_observability import median_ci95, spread, verdict


def test_the_interval_holds_the_median_and_narrows_with_more_rounds():
    rng = random.Random(14)
    few, many = ([rng.gauss(1.02, 0.1) for _ in range(n)] for n in (12, 300))
    for values in (few, many):
        low, high = median_ci95(values)
        assert low <= statistics.median(values) <= high
    assert median_ci95(many)[1] - median_ci95(many)[0] < (median_ci95(few)[1] - median_ci95(few)[0]) / 2


def test_a_verdict_is_given_only_when_the_interval_is_on_one_side():
    assert verdict(spread([1.00 + 0.001 * i for i in range(30)]), 1.03, False) == "met"
    assert verdict(spread([1.05 + 0.001 * i for i in range(30)]), 1.03, False) == "NOT met"
    spanning = verdict(spread([0.98 + 0.003 * i for i in range(30)]), 1.03, False)
    assert spanning.startswith("met by the median") and "undecided" in spanning
    assert verdict(spread([0.95 + 0.001 * i for i in range(30)]), 0.97, True).startswith("NOT met by the median")


def test_few_rounds_give_their_whole_range():
    assert median_ci95([1.1, 0.9, 1.0]) == (0.9, 1.1)
    assert spread([])["median"] is None

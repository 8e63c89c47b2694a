"""A markdown table of per-stage figures of a before/after benchmark's variants: median (min–max), after ÷ before."""
from __future__ import annotations

import statistics


def print_variant_table(unit: str, stages: tuple[str, ...], figures: dict[str, dict[str, list[float]]],
                        digits: int = 2) -> None:
    """One row per stage, one column per variant (in `figures`' order), and the ratio of medians when both
    'before' and 'after' were measured."""
    variants = list(figures)
    compared = len(variants) > 1
    print(f"| stage ({unit}) | " + " | ".join(f"{v} median (min–max)" for v in variants) + " |"
          + (" after ÷ before |" if compared else ""))
    print("| --- |" + " ---: |" * (len(variants) + compared))
    for stage in stages:
        cells = [f"{statistics.median(figures[v][stage]):.{digits}f} ({min(figures[v][stage]):.{digits}f}–"
                 f"{max(figures[v][stage]):.{digits}f})" for v in variants]
        ratio = (f" {statistics.median(figures['after'][stage]) / statistics.median(figures['before'][stage]):.2f} |"
                 if compared else "")
        print(f"| {stage} | " + " | ".join(cells) + " |" + ratio)

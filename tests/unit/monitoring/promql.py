"""The metric names a PromQL expression reads (promql-parser), after Grafana's variables are given values."""
from __future__ import annotations

import re

import promql_parser

_GRAFANA_DURATIONS = re.compile(r"\$__(rate_)?interval|\$__range")
_GRAFANA_VARIABLES = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


def metric_names(expr: str) -> set[str]:
    """Every metric name a vector selector of expr names (by name or by __name__="...")."""
    expr = _GRAFANA_VARIABLES.sub("x", _GRAFANA_DURATIONS.sub("5m", expr))
    names: set[str] = set()

    def visit(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            names.update(m.value for m in node.matchers.matchers if m.name == "__name__")

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names

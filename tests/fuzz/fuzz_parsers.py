"""Coverage-guided fuzzing (atheris) of the SOAP edge's parsing and the Facturae parser; run by tests/fuzz/run.py.

The first byte picks the target: 0 Facturae parser and rules, 1 SOAP over text/xml, 2 MTOM with a fixed
boundary, 3 SOAP with a fuzzed Content-Type (up to the first newline). Any assertion error, unhandled exception,
hang (-timeout) or memory blow-up (-rss_limit_mb) is a finding.
"""
from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["soap_edge", "ventanilla", "spyne", "tests"]):
    from tests.fuzz.targets import Edge, check_facturae

MTOM = 'multipart/related; type="application/xop+xml"; boundary="b"; start="<r>"; start-info="text/xml"'


def one_input(data: bytes) -> None:
    """Run one input against the target its first byte selects."""
    if not data:
        return
    target, rest = data[0] % 4, data[1:]
    if target == 0:
        check_facturae(rest)
    elif target == 1:
        Edge.shared().check(rest, "text/xml; charset=utf-8")
    elif target == 2:
        Edge.shared().check(rest, MTOM)
    else:
        head, _, body = rest.partition(b"\n")
        Edge.shared().check(body, head[:200].decode("latin-1"))


def main() -> None:
    """libFuzzer's command line: corpus directories and -flags."""
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

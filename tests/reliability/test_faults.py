"""Every fault of the short profile under load (tests/reliability/run.py): nothing lost, doubled or stuck."""
from __future__ import annotations

import sys

import pytest

from .run import PROFILES, report, run

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(900)  # about two minutes on an idle 2-core machine; more when it is shared
def test_kills_and_a_freeze_under_load_break_no_invariant(tmp_path):
    outcome = run(PROFILES["short"], tmp_path, log=lambda text: print(text, file=sys.stderr, flush=True))
    assert not outcome.journal.violations, report(outcome)

"""A short, time-bounded coverage-guided fuzz run inside `make test` (`make fuzz` runs longer)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.fuzz
ROOT = Path(__file__).resolve().parents[2]


def test_a_few_seconds_of_fuzzing_find_nothing():
    run = subprocess.run([sys.executable, "-m", "tests.fuzz.run", "--seconds", "8"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-4000:]
    assert "Done" in run.stderr

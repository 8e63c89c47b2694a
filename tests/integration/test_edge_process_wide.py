"""What the edge sets for its whole process — malloc arenas capped, spyne's full collections off — checked in a
child process of its own, so that the test process keeps glibc's and spyne's defaults."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BUILT_EDGE_NEVER_COLLECTS = """
import gc
from ventanilla.config import Settings
from soap_edge.__main__ import build
from tests.unit.soap_edge.fakes import Client, envelope

app = build(Settings.from_env({}))

def refuse():
    raise AssertionError("gc.collect() called while answering a request")

gc.collect = refuse
for _ in range(2):
    reply = Client(app).post(envelope("version"))
    assert reply.code == 200 and b"2.0" in reply.body, reply.body
print("answered")
"""

ARENAS_CAPPED = """
from soap_edge.__main__ import MALLOC_ARENAS
from soap_edge.http.memory import limit_malloc_arenas
assert limit_malloc_arenas(MALLOC_ARENAS)
print("capped")
"""


def run(script: str) -> str:
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_request_to_the_built_edge_never_triggers_spynes_full_garbage_collection():
    assert run(BUILT_EDGE_NEVER_COLLECTS).split() == ["answered"]


def test_malloc_arenas_can_be_capped_on_this_c_library():
    assert run(ARENAS_CAPPED).split() == ["capped"]

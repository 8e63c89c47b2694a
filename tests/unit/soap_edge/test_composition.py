"""The composition root: what build() wires answers requests without stalling its worker."""
from __future__ import annotations

import gc

import spyne.const

from ventanilla.config import Settings

from soap_edge.__main__ import build

from .fakes import Client, envelope


def test_a_request_never_triggers_spynes_full_garbage_collection(monkeypatch):
    monkeypatch.setattr(spyne.const, "MIN_GC_INTERVAL", spyne.const.MIN_GC_INTERVAL)  # restored afterwards
    app = build(Settings.from_env({}))

    def refuse():
        raise AssertionError("gc.collect() called while answering a request")

    monkeypatch.setattr(gc, "collect", refuse)
    for _ in range(2):
        reply = Client(app).post(envelope("version"))
        assert reply.code == 200 and b"2.0" in reply.body

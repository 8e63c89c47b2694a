"""Fixtures reading the public Facturae samples from the shared reference folder."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "facturae" / "samples"


@pytest.fixture
def sample() -> Callable[[str], bytes]:
    """Return a reader of one sample's bytes by its path under samples/."""
    return lambda name: (SAMPLES / name).read_bytes()


@pytest.fixture
def edited(sample) -> Callable[[str, Callable[[etree._Element], object]], bytes]:
    """Return a function that applies an lxml edit to a sample and serialises the result."""

    def edit(name: str, change: Callable[[etree._Element], object]) -> bytes:
        root = etree.fromstring(sample(name))
        change(root)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    return edit

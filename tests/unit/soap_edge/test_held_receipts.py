"""HeldReceipts: bounded by the bytes of the PDFs it holds, least recently used out first, 0 holding none."""
from __future__ import annotations

from soap_edge.backends.receipts import HeldReceipt, HeldReceipts


def pdf(n: int, size: int = 100) -> bytes:
    return bytes([n]) * size


def test_receipts_are_held_by_key_until_the_bytes_run_out_least_recently_used_first():
    held = HeldReceipts(300)
    for n in (1, 2, 3):
        held.keep(n, f"sha-{n}", pdf(n))
    assert held.held_bytes == 300 and held.get(1) == HeldReceipt("sha-1", pdf(1))  # 1 is now the most recent
    held.keep(4, "sha-4", pdf(4))
    assert [held.get(n) is not None for n in (1, 2, 3, 4)] == [True, False, True, True]
    held.keep(5, "sha-5", pdf(5, 200))  # room for it: the two least recently used go (1, then 3)
    assert [n for n in (1, 3, 4, 5) if held.get(n) is not None] == [4, 5] and held.held_bytes == 300


def test_a_newer_receipt_for_a_key_replaces_the_one_held():
    held = HeldReceipts(1000)
    held.keep(7, "old", pdf(1))
    held.keep(7, "new", pdf(2, 300))
    assert held.get(7) == HeldReceipt("new", pdf(2, 300)) and len(held) == 1 and held.held_bytes == 300


def test_a_receipt_larger_than_the_budget_or_without_a_hash_is_not_held():
    held = HeldReceipts(300)
    held.keep(1, "sha-1", pdf(1))
    held.keep(2, "sha-2", pdf(2, 301))
    held.keep(3, "", pdf(3))
    held.keep(4, "sha-4", b"")
    assert held.get(1) is not None and [held.get(n) for n in (2, 3, 4)] == [None] * 3 and held.held_bytes == 100


def test_a_budget_of_zero_holds_nothing():
    held = HeldReceipts(0)
    held.keep(1, "sha-1", pdf(1, 1))
    assert held.get(1) is None and len(held) == 0 and held.held_bytes == 0

"""paced_cross's pieces: each side's CPU over its floor from the crossed pairs, the rounds' order, and the floor status
answering an edge worker's first GetInvoice (no held receipt) with the receipt."""
from __future__ import annotations

from ventanilla.api.v1 import services_pb2 as pb
from tests.benchmarks.hop_server import _floor
from tests.benchmarks.reads import (EDGE_FLOOR_STATUS, FLOOR_EDGE_STATUS, FLOOR_PAIR, GOAL_PAIR, alternating,
                                    cross_sides)


def test_each_side_is_compared_with_its_floor_beside_both_of_the_other_sides():
    sides = cross_sides({GOAL_PAIR: (1.5, 0.8), FLOOR_PAIR: (1.0, 0.4),
                         FLOOR_EDGE_STATUS: (1.1, 0.7), EDGE_FLOOR_STATUS: (1.6, 0.45)})
    assert sides["edge over the floor edge, ms CPU per request"] == {"beside the status service": 0.4,
                                                                     "beside the floor status": 0.6}
    assert sides["status service over the floor status, ms CPU per request"] == {"behind the edge": 0.35,
                                                                                 "behind the floor edge": 0.3}
    assert sides["edge side + status side, ms CPU per request"] == {GOAL_PAIR: 2.3, FLOOR_PAIR: 1.4,
                                                                    FLOOR_EDGE_STATUS: 1.8, EDGE_FLOOR_STATUS: 2.05}


def test_the_order_alternates_from_round_to_round():
    assert [alternating(["a", "b", "c"], n) for n in range(3)] == [["a", "b", "c"], ["c", "b", "a"], ["a", "b", "c"]]


def _answer(tmp_path, name: str, receipt: bytes):
    path = tmp_path / name
    path.write_bytes(pb.InvoiceAnswer(receipt_pdf=receipt, receipt_unchanged=not receipt).SerializeToString())
    return path


def test_the_floor_status_sends_the_receipt_only_to_a_request_naming_no_held_receipt(tmp_path):
    servicer = _floor("GetInvoice", _answer(tmp_path, "hit", b""), _answer(tmp_path, "miss", b"%PDF"))
    assert servicer.GetInvoice(pb.InvoiceById(id=1), None).receipt_pdf == b"%PDF"
    assert servicer.GetInvoice(pb.InvoiceById(id=1, held_receipt_sha256="ab"), None).receipt_unchanged


def test_without_a_miss_answer_the_floor_status_answers_the_same_whatever_it_is_asked(tmp_path):
    servicer = _floor("GetInvoice", _answer(tmp_path, "hit", b""))
    assert servicer.GetInvoice(pb.InvoiceById(id=1), None).receipt_unchanged

"""enviarFactura's client stream: cut into parts and put back together byte for byte; a stream that does not match
its header is refused with facturae.error.xml."""
from __future__ import annotations

import os

import pytest

from ventanilla.adapters.submission_stream import Attachment, Submission, parts, reassembled
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

CALLER = pb.Caller(nif="B23103039", request_id="r-1")


def test_a_submission_goes_through_parts_and_back_unchanged():
    facturae, pdf = os.urandom(1000), bytearray(os.urandom(2500))
    sent = list(parts(CALLER, memoryview(facturae), [Attachment("a.pdf", memoryview(pdf)), Attachment("b", b"")],
                      part_bytes=256))
    assert sent[0].WhichOneof("part") == "header" and sent[0].header.facturae_size == 1000
    assert [len(p.data) for p in sent[1:]] == [256] * 3 + [232] + [256] * 9 + [196]
    assert reassembled(sent) == Submission(CALLER, facturae, [Attachment("a.pdf", bytes(pdf)), Attachment("b", b"")])


def test_parts_need_not_follow_the_documents_boundaries():
    header = pb.SubmissionHeader(caller=CALLER, facturae_size=3, attachments=[pb.AttachmentHeader(name="a", size=4)])
    stream = [pb.SubmissionPart(header=header), pb.SubmissionPart(data=b"ab"), pb.SubmissionPart(data=b"cdef"),
              pb.SubmissionPart(data=b"g")]
    assert reassembled(stream) == Submission(CALLER, b"abc", [Attachment("a", b"defg")])


def test_the_default_part_is_256_kb():
    sent = list(parts(CALLER, bytes(600 * 1024), []))
    assert [len(p.data) for p in sent[1:]] == [256 * 1024, 256 * 1024, 88 * 1024]


def _header(size: int) -> pb.SubmissionPart:
    return pb.SubmissionPart(header=pb.SubmissionHeader(caller=CALLER, facturae_size=size))


@pytest.mark.parametrize("stream, says", [
    ([], "cabecera"),
    ([pb.SubmissionPart(data=b"abc")], "cabecera"),
    ([_header(4), pb.SubmissionPart(data=b"abc")], "3 bytes de los 4"),
    ([_header(2), pb.SubmissionPart(data=b"abc")], "3 bytes de los 2"),
    ([_header(3), pb.SubmissionPart(data=b"ab"), _header(1)], "Cabecera repetida"),
    ([_header(-1)], "anuncia"),
    ([_header(11)], "el máximo es 10"),
])
def test_a_stream_that_does_not_match_its_header_is_refused(stream, says):
    with pytest.raises(DomainError) as refused:
        reassembled(stream, max_bytes=10)
    assert refused.value.key is ErrorKey.XML and says in refused.value.detail

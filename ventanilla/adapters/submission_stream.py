"""enviarFactura to the registry: in one message when small, else as a client stream of SubmissionParts (cut here,
and put back together here)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, NamedTuple, Sequence

from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

PART_BYTES = 256 * 1024       # the bytes of one SubmissionPart: the sender's memory per part in flight
MAX_SUBMISSION_BYTES = 64 * 1024 * 1024  # what a header may announce, in all (the servers' message cap)
# At most this much content goes in one SubmitInvoiceRequest: a stream costs ~0.35 ms more CPU per call at the
# caller (its own thread and batches), which shows on small invoices; above it, the copy into one message would.
ONE_MESSAGE_BYTES = 1024 * 1024

Content = bytes | bytearray | memoryview


class Attachment(NamedTuple):
    """One attachment: its name and its bytes."""

    name: str
    content: Content


@dataclass(frozen=True)
class Submission:
    """A submission put back together: who sends it, the Facturae document, and its attachments."""

    caller: pb.Caller
    facturae: bytes
    attachments: list[Attachment]


def fits_one_message(facturae: Content, attachments: Sequence[Attachment]) -> bool:
    """Whether a submission is small enough to go as one SubmitInvoiceRequest."""
    return len(facturae) + sum(len(a.content) for a in attachments) <= ONE_MESSAGE_BYTES


def one_message(caller: pb.Caller, facturae: Content, attachments: Sequence[Attachment]) -> pb.SubmitInvoiceRequest:
    """A (small) submission as one message."""
    return pb.SubmitInvoiceRequest(caller=caller, facturae=bytes(facturae), attachments=[
        pb.Attachment(name=a.name, content=bytes(a.content)) for a in attachments])


def of_message(request: pb.SubmitInvoiceRequest) -> Submission:
    """The submission one SubmitInvoiceRequest carries."""
    return Submission(request.caller, request.facturae, [Attachment(a.name, a.content) for a in request.attachments])


def parts(caller: pb.Caller, facturae: Content, attachments: Sequence[Attachment],
          part_bytes: int = PART_BYTES) -> Iterator[pb.SubmissionPart]:
    """The header, then the document's and each attachment's bytes in slices of part_bytes (views: no whole copy)."""
    header = pb.SubmissionHeader(caller=caller, facturae_size=len(facturae), attachments=[
        pb.AttachmentHeader(name=name, size=len(content)) for name, content in attachments])
    yield pb.SubmissionPart(header=header)
    for content in (facturae, *(content for _, content in attachments)):
        view = memoryview(content)
        for start in range(0, len(view), part_bytes):
            yield pb.SubmissionPart(data=bytes(view[start:start + part_bytes]))


def _bad(detail: str) -> DomainError:
    return DomainError(ErrorKey.XML, detail)


def reassembled(stream: Iterable[pb.SubmissionPart], max_bytes: int = MAX_SUBMISSION_BYTES) -> Submission:
    """The submission a stream of parts carries; a DomainError (XML) when the bytes do not match the header."""
    stream = iter(stream)
    first = next(stream, None)
    if first is None or first.WhichOneof("part") != "header":
        raise _bad("El envío no empieza por su cabecera.")
    header = first.header
    sizes = [header.facturae_size, *(a.size for a in header.attachments)]
    if min(sizes) < 0 or sum(sizes) > max_bytes:
        raise _bad(f"El envío anuncia {sum(sizes)} bytes; el máximo es {max_bytes}.")
    buffers = [bytearray(size) for size in sizes]
    filled = _fill(buffers, stream)
    if filled != sum(sizes):
        raise _bad(f"El envío trae {filled} bytes de los {sum(sizes)} que anuncia su cabecera.")
    contents = [bytes(buffer) for buffer in buffers]
    return Submission(header.caller, contents[0],
                      [Attachment(a.name, content) for a, content in zip(header.attachments, contents[1:])])


def _fill(buffers: list[bytearray], stream: Iterator[pb.SubmissionPart]) -> int:
    """Copy the parts' bytes into the buffers in order; how many bytes came (more than fit: stops at the excess)."""
    index, offset, filled = 0, 0, 0
    for part in stream:
        if part.WhichOneof("part") != "data":
            raise _bad("Cabecera repetida en el envío.")
        data = memoryview(part.data)
        filled += len(data)
        while data:
            while index < len(buffers) and offset == len(buffers[index]):
                index, offset = index + 1, 0
            if index == len(buffers):
                return filled  # every buffer is full and bytes are left: more than announced
            taken = min(len(data), len(buffers[index]) - offset)
            buffers[index][offset:offset + taken] = data[:taken]
            offset, data = offset + taken, data[taken:]
    return filled

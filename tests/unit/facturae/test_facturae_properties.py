"""Property-based: any bytes, and any mutation of a public sample, give a document or a catalogue error."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.targets import check_facturae

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "facturae" / "samples"
SAMPLE_NAMES = sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.suffix in (".xml", ".xsig"))
FACTURAE = settings(max_examples=80, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def mutated_samples(draw) -> bytes:
    data = bytearray((SAMPLES / draw(st.sampled_from(SAMPLE_NAMES))).read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data)))
        chunk = draw(st.sampled_from([b"<", b">", b"&", b"<!DOCTYPE x>", b"\x00", b"\xff\xfe", b"-", b"9" * 30,
                                      b"</a>", b"<a>", b"]]>", b"\"", b" xmlns=\"urn:x\""]))
        if draw(st.booleans()):
            data[position:position] = chunk
        else:
            del data[position:position + draw(st.integers(1, 64))]
    return bytes(data)


@given(data=st.one_of(mutated_samples(), st.binary(max_size=400)))
@FACTURAE
def test_any_upload_gives_a_document_or_a_catalogue_error(data):
    check_facturae(data)

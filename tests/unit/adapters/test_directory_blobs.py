"""The blob directory: blobs read back by their SHA-256, and any other name refused before a file is opened."""
from __future__ import annotations

import hashlib

import pytest

from ventanilla.adapters.blob_store import DirectoryBlobStore


def test_a_stored_blob_is_read_back_by_its_hash_and_an_absent_one_is_a_key_error(tmp_path):
    blobs = DirectoryBlobStore(tmp_path / "blobs")
    data = bytes(range(256)) * 123
    ref = blobs.put(data, "comprobante.pdf", "application/pdf")
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert blobs.get(ref.sha256) == data
    with pytest.raises(KeyError):
        blobs.get(hashlib.sha256(b"never stored").hexdigest())


@pytest.mark.parametrize("name", [
    "", "ab", "a" * 63, "a" * 65, "A" * 64, "g" * 64, "a" * 64 + "\n", "a" * 62 + "/a",
    "\u0663" * 64,  # ARABIC-INDIC DIGIT THREE: a digit, not a hex one
])
def test_a_name_that_is_not_a_lower_case_sha256_is_refused_even_where_a_file_of_that_name_exists(tmp_path, name):
    blobs = DirectoryBlobStore(tmp_path / "blobs")
    if name[:2].isalnum() and "/" not in name and "\n" not in name:
        (tmp_path / "blobs" / name[:2]).mkdir()
        (tmp_path / "blobs" / name[:2] / name).write_bytes(b"not a blob")
    with pytest.raises(KeyError):
        blobs.get(name)
    with pytest.raises(KeyError):
        blobs.chunks(name)

"""Timestamps of the answers and the log: the same seconds and nanos as protobuf's own FromDatetime gives."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from ventanilla.adapters.invoice_messages import moment, timestamp

OFFSETS = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
MOMENTS = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=OFFSETS)


def _protobufs(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at.astimezone(timezone.utc))
    return stamp


@given(MOMENTS)
def test_a_timestamp_is_protobufs_own_for_any_offset_and_before_1970_too(at):
    stamp = timestamp(at)
    assert (stamp.seconds, stamp.nanos) == (_protobufs(at).seconds, _protobufs(at).nanos)
    assert stamp.SerializeToString() == _protobufs(at).SerializeToString()
    assert moment(stamp) == at


def test_the_ends_of_the_range_and_none():
    for at in (datetime(1, 1, 1, tzinfo=timezone.utc), datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc),
               datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=timezone.utc)):
        assert timestamp(at) == _protobufs(at)
    assert timestamp(None) is None

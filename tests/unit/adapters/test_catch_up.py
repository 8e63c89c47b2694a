"""Read-your-writes waits: for the end as of arrival, sharing broker round trips between readers."""
import threading
import time

from ventanilla.adapters.catch_up import CatchUp


class SlowEnds:
    """End offsets that take a while to fetch and count their fetches."""

    def __init__(self, ends: dict[int, int]):
        self.ends, self.calls = ends, 0

    def __call__(self) -> dict[int, int]:
        self.calls += 1
        time.sleep(0.05)
        return dict(self.ends)


def test_waits_until_applied_and_times_out_otherwise():
    ends = SlowEnds({0: 3, 1: 1})
    catch_up = CatchUp(ends, {0: 3}, timeout_s=0.3)
    assert catch_up.wait() is False
    catch_up = CatchUp(ends, {0: 3}, timeout_s=2)
    threading.Timer(0.1, catch_up.advanced, (1, 1)).start()
    assert catch_up.wait() is True


def test_a_burst_of_readers_shares_end_offset_requests():
    ends = SlowEnds({0: 5})
    catch_up = CatchUp(ends, {0: 5}, timeout_s=2)
    results = []
    readers = [threading.Thread(target=lambda: results.append(catch_up.wait())) for _ in range(20)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert results == [True] * 20
    assert ends.calls <= 3


def test_a_reader_never_uses_an_answer_asked_before_it_arrived():
    ends = SlowEnds({0: 1})
    catch_up = CatchUp(ends, {0: 1}, timeout_s=0.2)
    assert catch_up.wait()
    ends.ends = {0: 2}  # a write lands after the first answer
    assert catch_up.wait() is False  # the new end is seen, and it is not applied yet
    catch_up.advanced(0, 2)
    assert catch_up.wait()


def test_a_reader_that_cannot_be_caught_up_is_refused_rather_than_told_no_such_invoice():
    import pytest

    from ventanilla.domain.errors import DomainError, ErrorKey

    def no_broker() -> dict[int, int]:
        raise ConnectionError("broker away")

    for catch_up in (CatchUp(no_broker, {0: 3}, timeout_s=1), CatchUp(SlowEnds({0: 4}), {0: 3}, timeout_s=0.1)):
        assert catch_up.wait() is False
        with pytest.raises(DomainError) as refused:
            catch_up.ensure()
        assert refused.value.key is ErrorKey.REGISTRO
    CatchUp(SlowEnds({0: 3}), {0: 3}, timeout_s=0.1).ensure()

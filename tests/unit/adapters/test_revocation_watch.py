"""The doors' memory of client certificates' revocation status is bounded in size and judged again each period."""
from ventanilla.adapters.client_revocation import GOOD, REVOKED, RevocationWatch


class Judges:
    """Trust material as read at each refresh: the certificates revoked so far, and every judgement made."""

    def __init__(self):
        self.revoked: set[bytes] = set()
        self.judged: list[bytes] = []

    def __call__(self):
        revoked = frozenset(self.revoked)

        def judge(der: bytes) -> str:
            self.judged.append(der)
            return REVOKED if der in revoked else GOOD
        return judge


def test_at_most_capacity_certificates_are_remembered_the_least_recently_seen_judged_again():
    judges = Judges()
    watch = RevocationWatch(judges, period_s=60, capacity=2)
    for der in (b"a", b"b", b"a", b"c"):  # a seen again: b is the least recently seen when c comes
        assert watch.status(der.hex(), der) == GOOD
    assert judges.judged == [b"a", b"b", b"c"]
    watch.refresh()  # only the two remembered are judged again
    assert sorted(judges.judged[3:]) == [b"a", b"c"]
    judges.judged.clear()
    assert watch.status(b"a".hex(), b"a") == GOOD and judges.judged == []
    assert watch.status(b"b".hex(), b"b") == GOOD and judges.judged == [b"b"]  # forgotten, so judged on its call


def test_a_remembered_status_holds_until_the_next_refresh_reads_the_trust_material_again():
    judges = Judges()
    watch = RevocationWatch(judges, period_s=60)
    assert watch.status("fp", b"cert") == GOOD
    judges.revoked.add(b"cert")  # a new CRL: not read until the period's refresh
    assert watch.status("fp", b"cert") == GOOD
    watch.refresh()
    assert watch.status("fp", b"cert") == REVOKED

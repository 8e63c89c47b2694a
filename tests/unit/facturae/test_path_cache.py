"""Accepted certificate paths: remembered for a bounded time and number, never past a certificate's or CRL's end."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.path_cache import AcceptedPaths, path_key
from ventanilla.facturae.trust import CertificateChecker, TrustMaterial

T0 = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)
FAR = T0 + timedelta(days=365)


def test_an_acceptance_holds_for_max_age_and_not_before_its_moment():
    paths = AcceptedPaths(max_age=timedelta(minutes=5))
    paths.remember(b"k", T0, [FAR], [FAR])
    assert paths.accepted(b"k", T0 + timedelta(minutes=4, seconds=59))
    assert not paths.accepted(b"k", T0 - timedelta(seconds=1))  # a moment before the validation: validate again
    assert not paths.accepted(b"k", T0 + timedelta(minutes=5))  # expired, and dropped
    assert len(paths) == 0


@pytest.mark.parametrize("ends, updates", [([T0 + timedelta(minutes=1), FAR], [FAR]),
                                           ([FAR], [None, T0 + timedelta(minutes=1)])])
def test_an_acceptance_ends_with_the_first_certificate_or_crl_to_end(ends, updates):
    paths = AcceptedPaths(max_age=timedelta(hours=1))
    paths.remember(b"k", T0, ends, updates)
    assert paths.accepted(b"k", T0 + timedelta(seconds=59))
    assert not paths.accepted(b"k", T0 + timedelta(minutes=1))


def test_the_least_recently_used_go_beyond_the_bound():
    paths = AcceptedPaths(entries=2)
    paths.remember(b"a", T0, [FAR], [])
    paths.remember(b"b", T0, [FAR], [])
    assert paths.accepted(b"a", T0)  # a is now the most recently used
    paths.remember(b"c", T0, [FAR], [])
    assert len(paths) == 2
    assert paths.accepted(b"a", T0) and paths.accepted(b"c", T0) and not paths.accepted(b"b", T0)


@pytest.mark.parametrize("paths", [AcceptedPaths(max_age=timedelta(0)), AcceptedPaths(entries=0)])
def test_a_zero_bound_keeps_nothing(paths):
    paths.remember(b"k", T0, [FAR], [FAR])
    assert not paths.accepted(b"k", T0)


def test_the_key_depends_on_the_signer_and_the_certificates_it_carries(signing_pki):
    supplier, intermediate = signing_pki.supplier.certificate, signing_pki.intermediate.certificate
    assert path_key(supplier, (intermediate,)) == path_key(supplier, [intermediate])
    assert path_key(supplier, (intermediate,)) != path_key(supplier, ())
    assert path_key(supplier, ()) != path_key(signing_pki.revoked.certificate, ())


class _Counting(CertificateChecker):
    validations = 0

    def _validate(self, *args):
        self.validations += 1
        return super()._validate(*args)


def test_the_checker_validates_a_signer_once_per_bounded_period(signing_pki):
    now = datetime.now(timezone.utc)
    checker = _Counting(TrustMaterial.load(signing_pki.trust_store, signing_pki.crls),
                        accepted=AcceptedPaths(max_age=timedelta(minutes=5)))
    good = (signing_pki.supplier.certificate, (signing_pki.intermediate.certificate,))
    for seconds in (0, 10, 299):
        checker.check(*good, None, now + timedelta(seconds=seconds))
    assert checker.validations == 1
    checker.check(*good, None, now + timedelta(seconds=300))
    assert checker.validations == 2


def test_refusals_are_never_remembered(signing_pki):
    now = datetime.now(timezone.utc)
    checker = _Counting(TrustMaterial.load(signing_pki.trust_store, signing_pki.crls))
    for _ in range(2):
        with pytest.raises(DomainError) as caught:
            checker.check(signing_pki.revoked.certificate, (signing_pki.intermediate.certificate,), None, now)
        assert caught.value.key is ErrorKey.SIGN_REVOKED
    assert checker.validations == 2 and len(checker.accepted) == 0


def test_a_remembered_signer_is_still_refused_once_its_certificate_expires(signing_pki):
    checker = CertificateChecker(TrustMaterial.load(signing_pki.trust_store, signing_pki.crls))
    expired = signing_pki.expired.certificate
    just_before = expired.not_valid_after_utc - timedelta(minutes=1)
    checker.accepted.remember(path_key(expired, ()), just_before, [FAR], [FAR])  # even with a wrong end remembered
    assert checker.accepted.accepted(path_key(expired, ()), expired.not_valid_after_utc + timedelta(minutes=1))
    with pytest.raises(DomainError) as caught:
        checker.check(expired, (), None, expired.not_valid_after_utc + timedelta(minutes=1))
    assert caught.value.key is ErrorKey.SIGN_EXPIRED

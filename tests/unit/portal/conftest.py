import pytest

from portal_service.__main__ import build
from tests.support.portal import build_portal_pki, fake_overrides, portal_settings


@pytest.fixture(scope="session")
def portal_pki(tmp_path_factory):
    return build_portal_pki(tmp_path_factory.mktemp("portal-pki"))


@pytest.fixture
def overrides(portal_pki):
    return fake_overrides(portal_pki)


@pytest.fixture
def portal(tmp_path, overrides):
    return build(portal_settings(tmp_path), overrides=overrides)

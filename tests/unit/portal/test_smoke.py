from tests.support.portal import COMPANY, Browser


def test_login_shows_the_sign_up_page(portal, portal_pki):
    browser = Browser(portal.app, portal_pki.der(COMPANY)).login()
    page = browser.get("/alta")
    assert page.status_code == 200
    assert "Dame de alta como integrador" in page.get_data(as_text=True)

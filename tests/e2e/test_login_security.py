"""In a real Chromium over real HTTP (issue 19): a login link whose `next` hides another site behind a tab
lands on this site's home page; "Log out everywhere" on the account page ends the same user's session in a
second browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.support import log_in, serving
from tests.support import PASSWORD


@pytest.fixture
def site(make_app, users):
    with serving(make_app(WTF_CSRF_ENABLED=True)) as url:
        yield url


def test_a_tab_in_next_stays_on_site_and_log_out_everywhere_ends_the_other_browser(site, make_page):
    desk, phone = make_page(), make_page()

    # What the browser would make of "/\t/evil.example" is "//evil.example": the server sends it home.
    log_in(desk, site, "dispatcher", PASSWORD, path="/login?next=%2F%09%2Fevil.example")
    expect(desk).to_have_url(site + "/")
    expect(desk.get_by_role("link", name="Dispatcher", exact=True)).to_be_visible()

    log_in(phone, site, "dispatcher", PASSWORD)
    expect(phone).to_have_url(site + "/")

    desk.get_by_role("link", name="Dispatcher", exact=True).click()
    expect(desk).to_have_url(site + "/password")
    desk.locator("form[action='/logout/everywhere'] button").click()
    expect(desk).to_have_url(site + "/login")

    phone.reload()
    expect(phone).to_have_url(re.compile(re.escape(site + "/login")))
    expect(phone.locator("input[name=username]")).to_be_visible()

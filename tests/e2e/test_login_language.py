"""In a real Chromium: the login page is Chinese, the demo admin logs in, switches to English, reaches
the Users page through the navigation and logs out; and the same on a phone through the menu."""

import re

from playwright.sync_api import expect

from tests.e2e.support import PHONE, log_in

ADMIN, ADMIN_NAME, DEMO_PASSWORD = "admin", "系统管理员", "xiuhua-demo"

# The exact Chinese of the catalogue (translations/zh_Hans_CN/LC_MESSAGES/messages.po).
ZH = {
    "Log in to Xiuhua": "登录绣花",
    "Log in": "登录",
    "Home": "首页",
    "Menu": "菜单",
    "Users": "用户",
}


def path_is(base: str, path: str):
    """A URL pattern for `path` on the live server, query string allowed."""
    return re.compile(re.escape(base + path) + r"(\?.*)?$")


def test_login_switch_to_english_users_page_and_logout(live_server, page):
    html = page.locator("html")

    # An anonymous visitor lands on the login page, in Chinese (the default language).
    page.goto(live_server + "/")
    expect(page).to_have_url(path_is(live_server, "/login"))
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text(ZH["Log in to Xiuhua"])
    expect(page.get_by_role("button", name=ZH["Log in"], exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="English", exact=True)).to_be_visible()

    # The demo admin logs in and sees the home page with their name.
    log_in(page, live_server, ADMIN, DEMO_PASSWORD)
    expect(page).to_have_url(path_is(live_server, "/"))
    expect(page.get_by_role("link", name=ADMIN_NAME, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(ZH["Home"])
    expect(html).to_have_attribute("lang", "zh-CN")

    # Switching to English: the whole page, <html lang> included, is now English.
    page.get_by_role("button", name="English", exact=True).click()
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="中文", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    expect(html).to_have_attribute("lang", "en")

    # On a desktop the navigation is shown without opening the menu.
    nav = page.locator("nav.mainnav")
    expect(page.locator(".nav-toggle > summary")).to_be_hidden()
    nav.get_by_role("link", name="Users", exact=True).click()
    expect(page).to_have_url(path_is(live_server, "/admin/users"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    expect(nav.get_by_role("link", name="Users", exact=True)).to_have_attribute("aria-current", "page")
    expect(html).to_have_attribute("lang", "en")

    # Logging out keeps the chosen language.
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page).to_have_url(path_is(live_server, "/login"))
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Xiuhua")
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="中文", exact=True)).to_be_visible()
    expect(html).to_have_attribute("lang", "en")


def test_phone_menu_reaches_users_page(live_server, make_page):
    page = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, live_server, ADMIN, DEMO_PASSWORD)
    expect(page.get_by_role("link", name=ADMIN_NAME, exact=True)).to_be_visible()

    # On a phone the navigation is folded into the <details> menu.
    menu = page.locator("details.nav-toggle")
    users_link = menu.get_by_role("link", name=ZH["Users"], exact=True)
    expect(users_link).to_be_hidden()
    summary = menu.locator("summary")
    expect(summary).to_have_text(ZH["Menu"])
    summary.click()
    expect(menu).to_have_attribute("open", "")
    users_link.click()
    expect(page).to_have_url(path_is(live_server, "/admin/users"))
    expect(page.get_by_role("heading", level=1)).to_have_text(ZH["Users"])


def test_htmx_widgets_work_after_login(live_server, page):
    """Active search swaps only the rows; a permission tick is sent by htmx with the CSRF header of the
    logged-in session and survives a reload."""
    log_in(page, live_server, ADMIN, DEMO_PASSWORD)
    expect(page.get_by_role("link", name=ADMIN_NAME, exact=True)).to_be_visible()

    page.goto(live_server + "/admin/users")
    rows = page.locator("#user-rows tbody tr")
    expect(rows.nth(8)).to_be_visible()  # at least one demo user per built-in role
    page.get_by_role("searchbox").fill("dispatch")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("dispatcher")
    expect(page).to_have_url(re.compile(r"q=dispatch"))

    page.goto(live_server + "/admin/roles")
    box = page.get_by_role("checkbox", name="collector admin.audit", exact=True)
    expect(box).not_to_be_checked()
    with page.expect_response(re.compile(r"/admin/roles/\d+/grant")) as answer:
        box.check()
    assert answer.value.status == 200
    page.reload()
    expect(page.get_by_role("checkbox", name="collector admin.audit", exact=True)).to_be_checked()

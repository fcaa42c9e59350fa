"""A dispatcher filters the case list of the demo city in Chromium, exports it to Excel, watches the
background export finish and downloads a file holding the rows of the filtered list."""

import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from core import demo
from tests.e2e.support import log_in


def test_dispatcher_exports_the_filtered_list_and_downloads_it(live_server, page, tmp_path):
    log_in(page, live_server, "dispatcher", demo.DEMO_PASSWORD)

    page.goto(live_server + "/orders/?box=all")
    page.locator("select[name=source]").select_option("hotline")
    expect(page).to_have_url(re.compile(r"source=hotline"))
    page.locator("select[name=sort]").select_option("newest")
    expect(page).to_have_url(re.compile(r"sort=newest"))
    total = int(re.search(r"\d+", page.locator("#order-rows p.muted").first.inner_text()).group())
    assert 0 < total < 10_000
    first_number = page.locator("#order-rows tbody tr a").first.inner_text()

    page.locator("#export-button").click()
    progress = page.locator("#export-progress")
    expect(progress).to_have_attribute("data-status", "done", timeout=60_000)
    with page.expect_download() as download_info:
        page.locator("#export-download").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(saved, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == total + 1  # the header and the list's rows
    assert rows[1][0] == first_number

"""The public archive of every published period, with a chooser, and period end dates shown inclusive
everywhere: a period is stored as [start, end), so October is printed "2026-10-01 – 2026-10-31" (not
"– 2026-11-01") on the public page, the evaluation pages and in the Excel files."""

import io

from openpyxl import load_workbook

from core.evaluation import periods, snapshots
from tests.evaluation_support import OCT, app, city, history  # noqa: F401 (fixtures)
from tests.support import login

OCTOBER = "2026-10-01 – 2026-10-31"
WEEK_44 = "2026-10-26 – 2026-11-01"  # Monday to Sunday


def notes(response) -> str:
    book = load_workbook(io.BytesIO(response.data))
    return " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)


def publish(period):
    return snapshots.publish(snapshots.prepare(period).id, None)


def test_every_published_period_is_in_the_archive_and_can_be_chosen(app, city, history):  # noqa: F811
    publish(OCT)
    publish(periods.parse("2026-W44"))
    snapshots.prepare(periods.parse("2026-09"))  # a draft: not public
    anonymous = app.test_client()
    html = anonymous.get("/public/").get_data(as_text=True)
    assert 'id="period-chooser"' in html
    assert 'value="2026-10"' in html and 'value="2026-W44"' in html and "2026-09" not in html
    assert f"<td>{OCTOBER}</td>" in html and f"<td>{WEEK_44}</td>" in html
    chosen = anonymous.get("/public/?period=2026-W44")
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/public/2026-W44")
    week = anonymous.get("/public/2026-W44").get_data(as_text=True)
    assert "2026-W44" in week and WEEK_44 in week and 'id="ranking-department"' in week
    assert anonymous.get("/public/2026-09").status_code == 404


def test_period_ends_are_inclusive_on_every_page_and_in_every_excel_file(app, city, history):  # noqa: F811
    version = publish(OCT)
    anonymous = app.test_client()
    html = anonymous.get("/public/2026-10").get_data(as_text=True)
    assert OCTOBER in html and "– 2026-11-01" not in html
    bulletin = notes(anonymous.get("/public/2026-10/bulletin.xlsx"))
    assert OCTOBER in bulletin and "2026-11-01" not in bulletin
    evaluator = app.test_client()
    login(evaluator, "evaluator")
    for path in ("/evaluation/?period=2026-10", f"/evaluation/versions/{version.id}"):
        page = evaluator.get(path).get_data(as_text=True)
        assert OCTOBER in page and "– 2026-11-01" not in page, path
    for path in ("/evaluation/export.xlsx?period=2026-10", f"/evaluation/versions/{version.id}/export.xlsx"):
        text = notes(evaluator.get(path))
        assert OCTOBER in text and "2026-11-01" not in text, path

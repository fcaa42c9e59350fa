"""Evaluation: each indicator against a hand-computed history (on time and late, an extension, a
rework, a return, a suspension, a void after filing, cases spanning two months, zero denominators),
periods, scores, deductions, publication immutability, the public page and the Excel exports."""

import io
import json
import re
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core import clock
from core.attachments.service import attachments_of
from core.db import db
from core.evaluation import indicators, periods, scores, snapshots
from core.evaluation.models import Deduction, SnapshotVersion
from tests import evaluation_support
from tests.evaluation_support import NOV, OCT, Life, T, at
from tests.support import login

app, city, history = evaluation_support.app, evaluation_support.city, evaluation_support.history  # fixtures


def ids(lives, *names):
    return sorted(lives[n].order.id for n in names)


def test_periods_parse_every_form_to_local_half_open_ranges():
    assert (OCT.start, OCT.end) == (datetime(2026, 10, 1), datetime(2026, 11, 1))
    week = periods.parse("2026-W44")
    assert (week.start, week.end) == (datetime(2026, 10, 26), datetime(2026, 11, 2))
    assert periods.parse("2026-q3").start == datetime(2026, 7, 1) and periods.parse("2026-Q4").end == datetime(
        2027, 1, 1
    )
    assert periods.parse("2026").end == datetime(2027, 1, 1)
    custom = periods.parse("2026-10-01..2026-10-15")
    assert (custom.start, custom.end, custom.kind) == (datetime(2026, 10, 1), datetime(2026, 10, 16), "custom")
    for bad in ["2026-13", "2026-W60", "2026-10-15..2026-10-01", "soon", ""]:
        with pytest.raises(periods.PeriodError):
            periods.parse(bad)
    assert periods.previous("month", datetime(2026, 11, 3, 8)).key == "2026-10"
    assert periods.previous("week", datetime(2026, 11, 3, 8)).key == "2026-W44"


def test_department_handling_indicators_by_hand(city, history):
    figures = indicators.compute("department", OCT.start, OCT.end)
    s = figures[str(city.sanitation.id)]
    # due: A, B, C (two rounds), G, E; D is suspended; F is November's
    assert s["due_to_handle"] == 6
    assert s["handled"] == 5  # E is handled only in November
    assert s["handled_on_time"] == 3  # A, C's second round, G: C's first round was on time but failed its check
    assert s["on_time_handling_rate"] == pytest.approx(3 / 6)
    assert s["overdue_handled"] == 1 and s["overdue_open"] == 1
    # the case-level rates count cases (A, B, C, E, G), not rounds: C is one case however many rounds it had
    assert s["due_to_close"] == 5
    assert s["closed"] == 4 and s["closure_rate"] == pytest.approx(4 / 5)  # E is still open
    assert s["closed_on_time"] == 3  # A, C (by its second round's deadline), G
    assert s["reworked"] == 1 and s["rework_rate"] == pytest.approx(1 / 5)
    assert s["received"] == 7  # A, B, C, D, E, F, G's second dispatch
    assert s["extensions"] == 1 and s["suspensions"] == 1 and s["returns"] == 0
    assert s["extended"] == 1 and s["extension_rate"] == pytest.approx(1 / 5)
    # from this department's dispatch: G is charged 10:10 → 11:00, not the time 园林处 held it before
    assert s["mean_handling_hours"] == pytest.approx(round((40 + 320 + 405 + 525 + 50) / 60 / 5, 2), abs=0.01)
    other = figures[str(city.landscaping.id)]
    assert other["received"] == 1 and other["returns"] == 1 and other["due_to_handle"] == 0
    assert other["on_time_handling_rate"] is None and other["closure_rate"] is None  # "—", never 0 or 100 %


def test_november_counts_the_case_due_in_november_only(city, history):
    s = indicators.compute("department", NOV.start, NOV.end)[str(city.sanitation.id)]
    assert (s["due_to_handle"], s["handled"], s["handled_on_time"]) == (1, 1, 1)  # F


def test_drill_down_lists_exactly_the_cases_counted(city, history):
    key = str(city.sanitation.id)
    drill = lambda code, part="numerator": indicators.drill("department", key, code, OCT.start, OCT.end, part)  # noqa: E731
    assert drill("due_to_handle") == ids(history, "A", "B", "C", "E", "G")
    assert drill("on_time_handling_rate") == ids(history, "A", "C", "G")
    assert drill("on_time_handling_rate", "denominator") == ids(history, "A", "B", "C", "E", "G")
    assert drill("overdue_open") == ids(history, "E")
    assert drill("reworked") == ids(history, "C")


def test_post_indicators_by_hand(city, history):
    dispatcher = indicators.compute("dispatcher", OCT.start, OCT.end)[str(city.users["dispatcher"].id)]
    # A, B (late), C, D, E, F, G twice: 8 dispatch stages due in October, G's first one wrong
    assert (dispatcher["due_to_dispatch"], dispatcher["dispatched_on_time"]) == (8, 7)
    assert dispatcher["wrong_dispatches"] == 1 and dispatcher["accurate_dispatch_rate"] == pytest.approx(7 / 8)
    assert dispatcher["dispatched"] == 8
    leader = indicators.compute("shift-leader", OCT.start, OCT.end)[str(city.users["shift_leader"].id)]
    assert leader["filed"] == 9 and leader["voided_after_filing"] == 1
    assert leader["accurate_filing_rate"] == pytest.approx(8 / 9)
    assert leader["due_to_file"] == 9 and leader["on_time_filing_rate"] == 1.0  # A–I, each filed within 30 min
    assert leader["due_to_close_step"] == 4 and leader["on_time_closing_rate"] == 1.0
    collectors = indicators.compute("collector", OCT.start, OCT.end)
    mine, other = collectors[str(city.users["collector"].id)], collectors[str(city.users["other_collector"].id)]
    assert mine["reported"] == 8 and mine["valid_reports"] == 8 and mine["valid_report_rate"] == 1.0
    assert mine["missed"] == 0 and mine["miss_rate"] == 0.0 and mine["filed_in_grids"] == 8
    assert other["missed"] == 1 and other["miss_rate"] == 1.0
    assert other["due_to_verify"] == 1 and other["on_time_verification_rate"] == 1.0
    assert other["due_to_check"] == 0 and other["on_time_check_rate"] is None
    assert mine["due_to_check"] == 5 and mine["on_time_check_rate"] == 1.0
    operator = indicators.compute("operator", OCT.start, OCT.end)[str(city.users["intake"].id)]
    assert operator["reported"] == 1 and operator["valid_report_rate"] == 1.0


def test_area_levels_and_city_figures(city, history):
    communities = indicators.compute("community", OCT.start, OCT.end)
    mine, other = communities["430602001001"], communities["430602001002"]
    assert mine["reported"] == 8 and mine["public_reports"] == 0 and mine["public_report_rate"] == 0.0
    assert other["reported"] == 1 and other["public_report_rate"] == 1.0 and other["due_to_handle"] == 0
    street = indicators.compute("street", OCT.start, OCT.end)["430602001"]
    assert street["reported"] == 9 and street["filed"] == 9 and street["due_to_handle"] == 6
    city_figures = indicators.city_figures(OCT.start, OCT.end)
    assert city_figures["reported"] == 9 and city_figures["dispatched"] == 8
    assert city_figures["due_to_close"] == 5 and city_figures["closed_count"] == 4
    assert city_figures["closure_rate"] == pytest.approx(4 / 5)
    assert city_figures["handled"] == 5  # handling reports written in October (C twice, A, B, G)
    assert city_figures["closed"] == 4
    # A–I and G twice: 10 dispatch stages; B late, I still waiting (overdue); H's ended by its void
    assert (city_figures["due_to_dispatch"], city_figures["dispatched_on_time"]) == (10, 8)
    empty = indicators.city_figures(datetime(2020, 1, 1), datetime(2020, 2, 1))
    assert empty["due_to_handle"] == 0 and empty["on_time_handling_rate"] is None and empty["closure_rate"] is None


def test_the_public_report_rate_counts_filed_public_reports_among_filed_cases(city, history):
    """The standard's form: an unverified hotline report is in neither part of the rate."""
    Life(city, T(20, 9), source="hotline", caller="李女士")  # reported in my community, never verified
    mine = indicators.compute("community", OCT.start, OCT.end)["430602001001"]
    assert (mine["reported"], mine["public_reports"]) == (9, 1)
    assert (mine["filed"], mine["public_filed"], mine["public_report_rate"]) == (8, 0, 0.0)
    other = indicators.compute("community", OCT.start, OCT.end)["430602001002"]
    assert (other["filed"], other["public_filed"], other["public_report_rate"]) == (1, 1, 1.0)  # I, verified


def test_two_extensions_of_one_case_are_one_case_extended(city):
    life = Life(city, T(5, 9)).file(T(5, 9, 5)).dispatch(T(5, 9, 15))
    for minute in (0, 10):
        life.do(T(5, 10, minute), "request_extension", "handler", reason="more time")
        life.do(T(5, 10, minute + 5), "approve_extension", "dispatcher")
    life.finish(T(5, 20), T(5, 20, 30), T(5, 20, 40))
    s = indicators.compute("department", OCT.start, OCT.end)[str(city.sanitation.id)]
    assert (s["extensions"], s["extended"], s["due_to_close"], s["extension_rate"]) == (2, 1, 1, 1.0)


def test_each_party_is_judged_on_its_own_stage_and_the_case_by_the_whole_case_rule(app, city):
    """Issue 12 item 5. A department's 按期结案 asks whether it handled on time (and passed the check); the
    case-level figure (city, areas) asks, by default, whether every stage ended by its own deadline, or
    with EVALUATION={"case_on_time": "handling_deadline"} whether the case closed by the handling deadline.
    Handling due 4 h after dispatch; check 2 h after handling; closing 1 h after the check."""
    # P: handled on time; the centre checks and closes on time by its own limits, after the handling deadline
    p = Life(city, T(5, 9)).file(T(5, 9, 5)).dispatch(T(5, 9, 15)).finish(T(5, 13), T(5, 14, 30), T(5, 15))
    # Q: handled on time; the collector re-inspects late (due 12:00, done 12:30); closed before 13:15
    q = Life(city, T(6, 9)).file(T(6, 9, 5)).dispatch(T(6, 9, 15)).finish(T(6, 10), T(6, 12, 30), T(6, 12, 40))
    # R: handled late (due 13:15, reported 14:00)
    r = Life(city, T(7, 9)).file(T(7, 9, 5)).dispatch(T(7, 9, 15)).finish(T(7, 14), T(7, 14, 30), T(7, 14, 40))
    cases = {"P": p, "Q": q, "R": r}

    def closed_on_time(level, key):
        codes = ["due_to_close", "closed", "closed_on_time"]
        figures = indicators.compute(level, OCT.start, OCT.end, codes)[key]
        assert (figures["due_to_close"], figures["closed"]) == (3, 3)
        listed = indicators.drill(level, key, "closed_on_time", OCT.start, OCT.end)
        assert len(listed) == figures["closed_on_time"]
        return {name for name, life in cases.items() if life.order.id in listed}

    department = str(city.sanitation.id)
    assert closed_on_time("department", department) == {"P", "Q"}
    assert closed_on_time("city", "city") == {"P"} == closed_on_time("grid", city.grid.code)
    app.config["EVALUATION"] = {"case_on_time": "handling_deadline"}
    assert closed_on_time("city", "city") == {"Q"} == closed_on_time("grid", city.grid.code)
    assert closed_on_time("department", department) == {"P", "Q"}  # the department's rule does not change
    snapshots.publish(snapshots.prepare(OCT).id, None)
    assert "closed by the deadline of its handling" in app.test_client().get("/public/2026-10").get_data(as_text=True)
    app.config["EVALUATION"] = {"case_on_time": "closed_when_we_say"}
    with pytest.raises(ValueError, match="case_on_time"):
        indicators.compute("city", OCT.start, OCT.end, ["closed_on_time"])


def test_early_closures_and_carried_over_overdue_cases_are_counted(app, city):
    """Issue 12 item 6. X closes on 31 October ahead of its 1 November deadline: due and closed in
    October, not again in November. Y was due on 20 October and closes on 3 November: due (not closed) in
    October, and due again in November (上期应结未结), closed late. Both rules can be turned off."""
    x = Life(city, T(31, 21, 50)).file(T(31, 21, 55)).dispatch(T(31, 22))
    x.finish(T(31, 22, 30), T(31, 23), T(31, 23, 10))
    y = Life(city, T(20, 9)).file(T(20, 9, 5)).dispatch(T(20, 9, 15))
    y.finish(T(3, 10, month=11), T(3, 10, 30, month=11), T(3, 10, 40, month=11))
    codes = ["due_to_close", "closed", "closed_on_time"]
    key = str(city.sanitation.id)

    def cohort(period):
        figures = indicators.compute("department", period.start, period.end, codes)[key]
        listed = indicators.drill("department", key, "due_to_close", period.start, period.end)
        assert len(listed) == figures["due_to_close"]
        return {n for n, life in {"X": x, "Y": y}.items() if life.order.id in listed}, figures

    assert cohort(OCT) == ({"X", "Y"}, {"due_to_close": 2, "closed": 1, "closed_on_time": 1})
    assert cohort(NOV) == ({"Y"}, {"due_to_close": 1, "closed": 1, "closed_on_time": 0})
    app.config["EVALUATION"] = {"count_early_closures": False, "carry_over_overdue": False}
    assert cohort(OCT) == ({"Y"}, {"due_to_close": 1, "closed": 0, "closed_on_time": 0})
    assert cohort(NOV) == ({"X"}, {"due_to_close": 1, "closed": 1, "closed_on_time": 1})


def test_a_past_period_recomputed_later_gives_the_same_answer(city, history):
    before = {level: indicators.compute(level, OCT.start, OCT.end) for level in indicators.LEVELS}
    # November goes on: E's case closes, a new case arrives, C's department gets a deduction-free month.
    history["E"].do(T(1, 11, month=11), "check_pass", "collector").do(T(1, 11, 30, month=11), "close", "shift_leader")
    Life(city, T(2, 9, month=11)).file(T(2, 9, 10, month=11)).dispatch(T(2, 9, 20, month=11))
    after = {level: indicators.compute(level, OCT.start, OCT.end) for level in indicators.LEVELS}
    assert after == before


def test_scores_weights_bands_grades_and_deductions(city, history):
    cfg = scores.config()
    values = {"received": 6, "closure_rate": 5 / 6, "on_time_handling_rate": 4 / 6, "rework_rate": 1 / 6}
    score, grade, formula = scores.score("department", values, 0.0, cfg)
    expected = (10 * 100 + 30 * 500 / 6 + 30 * 400 / 6 + 30 * 500 / 6) / 100  # fewer than 51 cases: 100 points
    assert score == pytest.approx(round(expected, 2)) and grade == scores.grade(score, cfg["grades"])
    assert "=" in formula and f"{score:.2f}" in formula
    # a rate with nothing due is left out and the rest scaled up; nothing at all: no score
    score, _, formula = scores.score("department", {**values, "closure_rate": None}, 0.0, cfg)
    assert score == pytest.approx(round((10 * 100 + 30 * 400 / 6 + 30 * 500 / 6) / 70, 2)) and "÷ 70%" in formula
    nothing = {"received": 0, "closure_rate": None, "on_time_handling_rate": None, "rework_rate": None}
    assert scores.score("department", nothing, 0.0, cfg)[:2] == (None, "—")
    assert [scores.grade(x, cfg["grades"]) for x in (95, 80, 60, 40, 39.9)] == ["A", "B", "C", "D", "E"]
    Deduction.create(level="department", object_key=str(city.sanitation.id), object_name="环卫处",
                     day=datetime(2026, 10, 20).date(), points=Decimal("5"), reason="buck-passing")  # fmt: skip
    Deduction.create(level="department", object_key=str(city.sanitation.id), object_name="环卫处",
                     day=datetime(2026, 11, 2).date(), points=Decimal("9"), reason="next month")  # fmt: skip
    row = next(r for r in snapshots.table("department", OCT)["rows"] if r["key"] == str(city.sanitation.id))
    # the month's own figures: closure 4/5, on-time handling 3/6, rework 1/5 (inverse: 80)
    computed = (10 * 100 + 30 * 80 + 30 * 50 + 30 * 80) / 100
    assert row["deduction"] == 5.0 and row["score"] == pytest.approx(round(computed - 5, 2))
    assert "− 5" in row["formula"]


def test_cli_report_in_json_csv_and_xlsx(app, city, history, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["evaluation", "report", "--period", "2026-10", "--level", "department", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    row = next(r for r in data["rows"] if r["key"] == str(city.sanitation.id))
    assert row["values"]["due_to_handle"] == 6
    result = runner.invoke(
        args=["evaluation", "report", "--period", "2026-W42", "--level", "dispatcher", "--format", "csv"]
    )
    assert result.exit_code == 0 and "dispatcher" not in result.output.splitlines()[0]
    out = tmp_path / "r.xlsx"
    result = runner.invoke(
        args=["evaluation", "report", "--period", "2026-10", "--level", "grid", "--format", "xlsx", "-o", str(out)]
    )
    assert result.exit_code == 0 and load_workbook(out).active.max_row >= 3
    result = runner.invoke(args=["evaluation", "report", "--period", "someday"])
    assert result.exit_code == 2 and "2026-W44" in result.output


def test_evaluator_page_shows_dashes_and_drills_to_the_cases(app, city, history):
    client = app.test_client()
    login(client, "evaluator")
    html = client.get("/evaluation/?period=2026-10&level=department").get_data(as_text=True)
    assert 'id="evaluation-table"' in html and "50.00%" in html and "—" in html
    html = client.get(
        f"/evaluation/drill?period=2026-10&level=department&key={city.sanitation.id}&code=overdue_open"
    ).get_data(as_text=True)
    assert re.findall(r'href="/orders/(\d+)"', html) == [str(history["E"].order.id)]
    assert client.get("/evaluation/drill?period=2026-10&level=department&key=abc&code=closed").status_code == 404
    assert client.get("/evaluation/drill?period=nope&level=department&key=1&code=closed").status_code == 422


def test_only_evaluation_roles_see_the_pages_and_only_evaluators_act(as_role):
    # (no `city` fixture here: its open application context would keep one user's permissions in `g`)
    handler = as_role("handler")
    assert handler.get("/evaluation/").status_code == 403
    assert handler.get("/evaluation/snapshots").status_code == 403
    leader = as_role("leader")
    assert leader.get("/evaluation/?period=2026-10").status_code == 200
    assert leader.post("/evaluation/snapshots", data={"period": "2026-10"}).status_code == 403
    assert leader.post("/evaluation/scoring", data={"config": "{}"}).status_code == 403
    evaluator = as_role("evaluator")
    assert evaluator.post("/evaluation/scoring", data={"config": "{not json"}).status_code == 422
    assert evaluator.post("/evaluation/snapshots", data={"period": "2026-13"}).status_code == 422
    assert evaluator.post("/evaluation/deductions", data={"level": "department", "object_key": "999", "day": "2026-10-02",
                                                          "points": "3", "reason": "x"}).status_code == 422  # fmt: skip


def test_publication_is_immutable_and_republishing_keeps_the_old_version(app, city, history):
    client = app.test_client()
    login(client, "evaluator")
    response = client.post("/evaluation/snapshots", data={"period": "2026-10"})
    first = SnapshotVersion.get_by_id(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert client.post(f"/evaluation/versions/{first.id}/publish").status_code == 302
    frozen = SnapshotVersion.get_by_id(first.id)
    assert frozen.published_at is not None
    assert client.post(f"/evaluation/versions/{first.id}/publish").status_code == 409  # a double click
    # new facts: a deduction changes the score; recomputing makes a NEW draft, the published one stays
    Deduction.create(level="department", object_key=str(city.sanitation.id), object_name="环卫处",
                     day=datetime(2026, 10, 20).date(), points=Decimal("7"), reason="falsified photo")  # fmt: skip
    response = client.post(f"/evaluation/snapshots/{first.snapshot_id}/recompute")
    second = SnapshotVersion.get_by_id(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert second.number == 2 and second.published_at is None
    assert SnapshotVersion.get_by_id(first.id).data == frozen.data
    # republishing needs a reason, then both versions are kept and the change is shown
    assert client.post(f"/evaluation/versions/{second.id}/publish", data={"note": ""}).status_code == 409
    assert client.post(f"/evaluation/versions/{second.id}/publish", data={"note": "deduction"}).status_code == 302
    html = client.get(f"/evaluation/versions/{second.id}/diff/{first.id}").get_data(as_text=True)
    assert "环卫处" in html and "7.0" in html
    assert SnapshotVersion.get_by_id(first.id).data == frozen.data
    from core.audit import AuditEntry

    assert {e.action for e in AuditEntry.select()} >= {"evaluation.publish", "evaluation.republish"}


def test_public_page_shows_only_published_data_and_no_personal_data(app, city, history):
    from core.org import User

    User.update(name="监督员甲").where(User.id == city.users["collector"].id).execute()
    User.update(name="派遣员乙").where(User.id == city.users["dispatcher"].id).execute()
    anonymous = app.test_client()
    assert "no-bulletin" in anonymous.get("/public/").get_data(as_text=True)
    version = snapshots.prepare(OCT)
    assert "no-bulletin" in anonymous.get("/public/").get_data(as_text=True)  # a draft is not public
    assert anonymous.get("/public/2026-10").status_code == 404
    snapshots.publish(version.id, None)
    html = anonymous.get("/public/").get_data(as_text=True)
    assert 'id="ranking-department"' in html and "环卫处" in html and 'id="bulletin-figures"' in html
    for personal in ["王先生", "13800000000", "监督员甲", "派遣员乙", "ranking-collector", "ranking-dispatcher"]:
        assert personal not in html
    xlsx = anonymous.get("/public/2026-10/bulletin.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    text = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "王先生" not in text and "监督员甲" not in text and "派遣员乙" not in text
    # the Excel sheet of a ranking holds the page's numbers
    sheet = next(ws for ws in book.worksheets if ws.title.startswith("Departments"))
    headers = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "环卫处")
    assert row[headers.index("Due to handle")] == 6
    assert row[headers.index("On-time handling %")] == 50.0
    assert "50.00%" in html


def test_the_bulletin_splits_closure_between_components_and_events(app, city, history):
    """Issue 12 item 10: the public page and its workbook give due to close, closed and closed on time
    per kind (components, events), and the kinds add up to the city's figures."""
    snapshots.publish(snapshots.prepare(OCT).id, None)
    figures = indicators.city_figures(OCT.start, OCT.end)
    html = app.test_client().get("/public/2026-10").get_data(as_text=True)
    row = re.search(r'<tr data-kind="event">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="num">(.*?)</td>', row)
    assert cells[1:4] == [str(figures["due_to_close"]), str(figures["closed"]), f"{figures['closure_rate'] * 100:.2f}%"]
    assert cells[4] == str(figures["closed_on_time"]) and figures["due_to_close"] > figures["closed_on_time"] > 0
    component = re.findall(
        r'<td class="num">(.*?)</td>', re.search(r'<tr data-kind="component">(.*?)</tr>', html, re.S).group(1)
    )
    assert component[1:] == ["0", "0", "—", "0", "—"]  # the test city reports events only
    book = load_workbook(io.BytesIO(app.test_client().get("/public/2026-10/bulletin.xlsx").data))
    rows = list(next(ws for ws in book.worksheets if ws.title == "Components and events").iter_rows(values_only=True))
    assert rows[0][2:] == ("Due to close", "Closed", "Closed on time")
    assert rows[2][2:] == (figures["due_to_close"], figures["closed"], figures["closed_on_time"])


def test_jobs_prepare_last_weeks_and_months_drafts(city, history):
    with at(datetime(2026, 11, 3, 1, 30)):
        assert snapshots.monthly_job().params == {"period": "2026-10", "version": 1}
        assert snapshots.weekly_job().params == {"period": "2026-W44", "version": 1}
        assert snapshots.monthly_job().params == {
            "period": "2026-10",
            "version": 1,
        }  # the draft is recomputed, not added
    assert SnapshotVersion.select().count() == 2


def test_deductions_with_evidence_are_audited_counted_and_withdrawn(app, city, history):
    from core.audit import AuditEntry
    from tests.workorder_support import jpeg

    client = app.test_client()
    login(client, "evaluator")
    key = str(city.sanitation.id)
    form = {"level": "department", "object_key": key, "day": "2026-10-20", "points": "4", "reason": "falsified photo"}
    response = client.post(
        "/evaluation/deductions",
        data={**form, "photo": (io.BytesIO(jpeg()), "e.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    row = Deduction.get()
    [evidence] = attachments_of("evaluation.deduction", row.id)
    assert evidence.added_by_id == row.author_id and row.object_name == "环卫处"
    assert f"/attachments/{evidence.id}/thumb" in client.get("/evaluation/deductions").get_data(as_text=True)
    assert client.get(f"/attachments/{evidence.id}/thumb").status_code == 200
    assert client.get(f"/attachments/{evidence.id}/original").status_code == 404  # its EXIF: not served
    bad = client.post(
        "/evaluation/deductions", data={**form, "photo": (io.BytesIO(b"not a photo"), "x.jpg")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert bad.status_code == 422 and Deduction.select().count() == 1
    table = snapshots.table("department", OCT)
    assert next(r for r in table["rows"] if r["key"] == key)["deduction"] == 4.0
    assert client.post(f"/evaluation/deductions/{row.id}/withdraw", data={"reason": "wrong case"}).status_code == 302
    assert next(r for r in snapshots.table("department", OCT)["rows"] if r["key"] == key)["deduction"] == 0.0
    assert {"evaluation.deduct", "evaluation.withdraw"} <= {e.action for e in AuditEntry.select()}


def test_the_evaluators_excel_export_holds_the_pages_numbers(app, city, history):
    client = app.test_client()
    login(client, "evaluator")
    html = client.get("/evaluation/?period=2026-10&level=department").get_data(as_text=True)
    book = load_workbook(io.BytesIO(client.get("/evaluation/export.xlsx?period=2026-10&level=department").data))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "环卫处")
    assert row[headers.index("Due to handle")] == 6 and row[headers.index("On-time handling %")] == 50.0
    score = row[headers.index("Score")]
    assert f"{score:.2f}" in html and "50.00%" in html
    other = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "园林处")
    assert other[headers.index("On-time handling %")] == "—"


def test_ranking_orders_by_score_and_leaves_unscored_last(city, history):
    rows = snapshots.table("community", OCT)["rows"]
    scored = [r for r in rows if r["score"] is not None]
    assert [r["score"] for r in scored] == sorted((r["score"] for r in scored), reverse=True)
    assert [r["rank"] for r in scored] == list(range(1, len(scored) + 1))
    assert all(r["rank"] is None and r["grade"] == "—" for r in rows[len(scored) :])
    assert all(r["list"] == "" for r in rows)  # fewer than six ranked: no red or black list


def test_the_demo_publishes_the_last_complete_month_it_covers(make_app):
    from core import demo

    app = make_app(DEMO_HISTORY_DAYS=60, DEMO_CASES_PER_DAY=10, DEMO_COMPONENTS=0)
    with app.app_context(), db.connection_context(), clock.frozen(datetime(2026, 11, 26, 9, 0)):
        demo.load(app)
        demo.load(app)  # idempotent: no second version
        published = snapshots.latest_published("month")
        assert published.snapshot.period == "2026-10"
        assert SnapshotVersion.select().where(SnapshotVersion.published_at.is_null(False)).count() == 1
        assert published.data["levels"]["department"]["rows"]  # real figures, not an empty table
    page = app.test_client().get("/public/").get_data(as_text=True)
    assert "2026-10" in page


def test_a_running_period_counts_only_deadlines_already_passed(city):
    life = Life(city, T(30, 8, month=11))
    life.file(T(30, 8, 5, month=11)).dispatch(T(30, 8, 10, month=11))  # handling due 12:10
    dept = str(city.sanitation.id)

    def figures(now):
        with at(now):
            row = next(r for r in snapshots.table("department", periods.parse("2026-11"))["rows"] if r["key"] == dept)
        return row["values"]["due_to_handle"], row["values"]["on_time_handling_rate"]

    assert figures(T(30, 9, month=11)) == (0, None)  # due later today: not due yet, the rate shows "—"
    assert figures(T(30, 13, month=11)) == (1, 0.0)  # the deadline has passed, unhandled


def test_a_snapshots_formulas_are_shown_in_the_readers_language(app, city, history):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        version = snapshots.prepare(OCT)  # computed by an evaluator reading English
    table = version.data["levels"]["department"]
    row = next(r for r in table["rows"] if r["key"] == str(city.sanitation.id))
    assert "On-time handling" in row["formula"]
    with app.test_request_context(), force_locale("zh_CN"):
        chinese = str(indicators.INDICATORS["on_time_handling_rate"].label)
        assert chinese != "On-time handling rate"
        shown = scores.row_formula(table, row)
        assert chinese in shown and "On-time handling" not in shown
        assert shown.endswith(f"= {row['score']:.2f}")  # the same figures
        assert chinese in scores.formula_of(table)


def test_default_scores_reward_fewer_problems_and_the_posts_volume(city):
    """The annex's direction: more cases received or filed, or more public reports, never score more."""
    cfg = scores.config()
    department = {"closure_rate": 0.9, "on_time_handling_rate": 0.9, "rework_rate": 0.1}
    few, many = ({**department, "received": n} for n in (30, 3000))
    assert scores.score("department", few, 0.0, cfg)[0] > scores.score("department", many, 0.0, cfg)[0]
    area = {"filed": 2, "closure_rate": 0.9, "on_time_closure_rate": 0.9}
    quiet, reported = ({**area, "public_report_rate": r} for r in (0.0, 0.5))
    assert scores.score("grid", quiet, 0.0, cfg)[0] > scores.score("grid", reported, 0.0, cfg)[0]
    assert [scores.band_points(n, cfg["levels"]["grid"]["band"]) for n in (0, 2, 4, 6, 8, 9)] == [
        100, 90, 75, 60, 40, 0
    ]  # fmt: skip
    dispatcher = {"on_time_dispatch_rate": 1.0, "accurate_dispatch_rate": 1.0}
    busy, idle = ({**dispatcher, "dispatched": n} for n in (2500, 50))
    assert scores.score("dispatcher", busy, 0.0, cfg)[0] > scores.score("dispatcher", idle, 0.0, cfg)[0]

"""The catalogue: both real files import fully and a second import changes nothing; rows that cannot be
used are reported by line and nothing is half-written; malformed files are refused whole; the command
line, the admin pages (background import with progress, edits with audit and the concurrent-edit check)
and the permissions."""

import csv
import io
import re
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from core.audit import AuditEntry
from core.catalogue.importer import import_file
from core.catalogue.models import CatalogueImport, Category, FilingStandard, search, standards_for
from core.catalogue.reading import MAX_BYTES, ImportFileError
from core.db import db
from core.org import Department
from core.timelimits import UNITS
from tests.support import PASSWORD, csrf_token, form_version

DATA = Path(__file__).resolve().parent.parent / "data/catalogue"
CATALOGUE_2026 = DATA / "catalogue-gbt47678.5-2026.csv"
YUNCHENG = DATA / "filing-standards-yuncheng.csv"
HTMX_POLL = {"HX-Request": "true", "HX-Target": "import-progress"}


@pytest.fixture
def make_app(make_app, tmp_path):
    """Without folder plugins: these tests count the national catalogue's rows exactly, and plugins
    add their own categories (register_categories, tested in test_plugins.py)."""
    return lambda **overrides: make_app(**{"PLUGINS_DIR": str(tmp_path / "no-plugins"), **overrides})


@pytest.fixture
def ctx(app):
    """An app context with a connection, as the command line has."""
    with app.app_context(), db.connection_context():
        yield app


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def to_csv(rows: list[list[str]], encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def yuncheng_with(line: int, column: int, value: str) -> bytes:
    """The Yuncheng file with one cell changed (line numbers as an editor shows them; no record spans lines)."""
    rows = rows_of(YUNCHENG)
    rows[line - 1][column] = value
    return to_csv(rows)


def counts():
    return Category.select().count(), FilingStandard.select().count(), audits("catalogue.import")


def audits(action):
    return AuditEntry.select().where(AuditEntry.action == action).count()


def nothing(**extra):
    return {"created": 0, "updated": 0, "unchanged": 0, **extra}


# --- the two real files ------------------------------------------------------------------------------


def test_the_2026_catalogue_imports_fully_and_a_second_import_changes_nothing(ctx):
    first = import_file(CATALOGUE_2026, CATALOGUE_2026.name)
    assert (first.format, first.edition, first.total, first.written) == ("catalogue", "2026", 403, True)
    assert first.rejected == []
    assert first.counts == {"component": nothing(created=153), "event": nothing(created=250)}
    cover = Category.get((Category.edition == "2026") & (Category.kind == "component") & (Category.code == "01001"))
    assert (str(cover), cover.class_code, cover.class_name) == ("01001 供水井盖", "01", "市政公用设施")
    assert Category.select().where(Category.kind == "event").count() == 250
    assert Category.get(Category.code == "10002").class_name == "其他事项类"

    second = import_file(CATALOGUE_2026, CATALOGUE_2026.name)
    assert second.counts == {"component": nothing(unchanged=153), "event": nothing(unchanged=250)}
    assert audits("catalogue.import") == 2  # one entry per import, with its counts
    entry = AuditEntry.select().where(AuditEntry.action == "catalogue.import").order_by(AuditEntry.id.desc()).get()
    assert entry.after["counts"]["component"] == nothing(unchanged=153)


def test_the_yuncheng_filing_standard_imports_every_row_and_a_second_import_changes_nothing(ctx):
    first = import_file(YUNCHENG, YUNCHENG.name)
    assert (first.format, first.edition, first.total, first.rejected) == ("standards", "2013", 423, [])
    assert first.counts["standard"] == nothing(created=423, retired=0)
    assert first.counts["component"]["created"] + first.counts["event"]["created"] == 164
    assert FilingStandard.select().count() == 423
    assert {s.limit_unit for s in FilingStandard.select()} <= set(UNITS)

    cover = Category.get((Category.edition == "2013") & (Category.kind == "component") & (Category.code == "0101"))
    assert str(cover) == "0101 上水井盖"
    standards = standards_for(cover)
    assert [s.seq for s in standards] == list(range(1, len(standards) + 1))
    assert (standards[0].filing_condition, standards[0].limit_text) == (
        "缺失、移位、开裂，存在安全隐患的",
        "2紧急工作时",
    )
    assert (standards[0].limit_value, standards[0].limit_unit) == (Decimal(2), "urgent_hour")
    assert standards[0].source == "filing-standards-yuncheng.csv: standards_preview.csv (original units)"
    seasonal = FilingStandard.get(FilingStandard.limit_text == "种植季节15工作日")
    assert (seasonal.limit_value, seasonal.limit_unit, seasonal.limit_note) == (Decimal(15), "work_day", "种植季节")

    second = import_file(YUNCHENG, YUNCHENG.name)
    assert second.counts["standard"] == nothing(unchanged=423, retired=0)
    assert second.counts["component"]["created"] == second.counts["component"]["updated"] == 0
    assert second.counts["event"]["created"] == second.counts["event"]["updated"] == 0
    assert FilingStandard.select().count() == 423


def test_both_editions_live_side_by_side(ctx):
    import_file(CATALOGUE_2026, "a.csv")
    import_file(YUNCHENG, "b.csv")
    assert Category.select().where(Category.edition == "2026").count() == 403
    assert Category.select().where(Category.edition == "2013").count() == 164


def test_a_changed_row_is_updated_in_place_and_a_dropped_row_retired(ctx):
    import_file(YUNCHENG, YUNCHENG.name)
    first = FilingStandard.select().order_by(FilingStandard.id).first()
    changed = import_file(yuncheng_with(2, 6, "3紧急工作时"), YUNCHENG.name)
    assert changed.counts["standard"] == nothing(updated=1, unchanged=422, retired=0)
    first = FilingStandard.get_by_id(first.id)  # same row: work orders keep pointing at it
    assert (first.limit_text, first.limit_value) == ("3紧急工作时", Decimal(3))

    rows = rows_of(YUNCHENG)
    in_0101 = sum(1 for r in rows[1:] if r[0] == "部件" and r[1] + r[3] == "0101")
    shifted = in_0101 - 2  # the rows after the dropped second one move up: their seq follows the file
    dropped = import_file(to_csv(rows[:2] + rows[3:]), YUNCHENG.name)
    assert dropped.counts["standard"] == nothing(updated=1 + shifted, unchanged=421 - shifted, retired=1)
    cover = Category.get((Category.kind == "component") & (Category.code == "0101"))
    assert rows[2][5] not in [s.filing_condition for s in standards_for(cover)]
    assert [s.seq for s in standards_for(cover)] == list(range(1, in_0101))
    assert FilingStandard.select().count() == 423  # retired, not deleted

    back = import_file(YUNCHENG, YUNCHENG.name)
    assert back.counts["standard"] == nothing(updated=1 + shifted, unchanged=422 - shifted, retired=0)
    assert len(standards_for(cover)) == in_0101


def test_the_import_leaves_what_administrators_set_alone(ctx):
    import_file(CATALOGUE_2026, "c.csv")
    dept = Department.create(name="市政处", code="works", type="professional")
    cover = Category.get(Category.code == "01001")
    cover.default_department, cover.active = dept, False
    cover.save()
    again = import_file(CATALOGUE_2026, "c.csv")
    assert again.counts["component"] == nothing(unchanged=153)
    cover = Category.get_by_id(cover.id)
    assert (cover.default_department_id, cover.active) == (dept.id, False)


# --- rows that cannot be used ------------------------------------------------------------------------


def test_one_bad_limit_writes_nothing_and_names_its_line_then_skipping_imports_the_rest(ctx):
    data = yuncheng_with(17, 6, "两天")
    refused = import_file(data, "bad.csv")
    assert not refused.written
    assert [line for line, _ in refused.rejected] == [17]
    assert "两天" in refused.rejected[0][1]
    assert counts() == (0, 0, 0)

    skipped = import_file(data, "bad.csv", skip_rejected=True)
    assert skipped.written and [line for line, _ in skipped.rejected] == [17]
    assert skipped.counts["standard"] == nothing(created=422, retired=0)
    assert FilingStandard.select().count() == 422
    entry = AuditEntry.get(AuditEntry.action == "catalogue.import")
    assert entry.after["rejected_lines"] == [17]


def test_rejected_rows_are_all_listed_with_their_reasons(ctx):
    rows = rows_of(YUNCHENG)
    rows[5][6] = "尽快"  # line 6
    rows[9][5] = ""  # line 10: no filing condition
    rows[12][4] = "另一个名字"  # line 13: the same type code named differently
    rows.insert(30, list(rows[29]))  # line 31 repeats line 30
    result = import_file(to_csv(rows), "many.csv")
    assert [line for line, _ in result.rejected] == [6, 10, 13, 31]
    assert "尽快" in result.rejected[0][1]
    assert "另一个名字" not in result.rejected[2][1] and "30" in result.rejected[3][1]
    assert counts() == (0, 0, 0)


def test_a_dry_run_reports_what_would_change_and_writes_nothing(ctx):
    result = import_file(YUNCHENG, YUNCHENG.name, dry_run=True)
    assert not result.written
    assert result.counts["standard"] == nothing(created=423, retired=0)
    assert counts() == (0, 0, 0)


def test_progress_is_reported_row_by_row_then_once_for_the_database(ctx):
    calls = []
    import_file(CATALOGUE_2026, "p.csv", progress=lambda *args: calls.append(args))
    assert calls[0] == ("checking", 1, 403)
    assert calls[-2:] == [("checking", 403, 403), ("database", 403, 403)]


# --- files that cannot be imported at all ------------------------------------------------------------


HEADER_2026 = "kind,class_code,class_name,code,name\r\n"


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", None),
        (b"\xef\xbb\xbf\r\n \r\n", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", None),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel"),
        (b"\x80\x81\xff\xfe\xfd" * 10, None),
        (b"name,phone\r\n\xe5\xbc\xa0\xe4\xb8\x89,123\r\n", None),
        (b'{"kind": "component"}', None),
        (HEADER_2026.encode(), None),
        (b"kind,class_code,class_name,name\r\ncomponent,01,x,y\r\n", "code"),
        (f"{HEADER_2026}component,01,市政公用设施,01001,供水井盖\r\ncomponent,01,市政公用设施,01002\r\n".encode(), "3"),
        (f"{HEADER_2026}component,01,市政公用设施,01001,供水井盖,多余\r\n".encode(), "2"),
        (f"{HEADER_2026}component,01,市政公用设施,01O01,供水井盖\r\n".encode(), "01O01"),
        (f"{HEADER_2026}component,1,市政公用设施,1001,供水井盖\r\n".encode(), "2"),  # Excel dropped the zeros
        (f"{HEADER_2026}component,01,市政公用设施,02001,供水井盖\r\n".encode(), "02001"),
        (f"{HEADER_2026}thing,01,市政公用设施,01001,供水井盖\r\n".encode(), "thing"),
        (
            f"{HEADER_2026}component,01,公用设施,0101,上水井盖\r\ncomponent,01,市政公用设施,01001,供水井盖\r\n".encode(),
            "01001",
        ),
        (f'{HEADER_2026}component,01,"市政公用设施,01001,供水井盖\r\n'.encode(), "2"),
        (b"kind,kind,class_code,class_name,code,name\r\n", "kind"),
    ],
)
def test_a_malformed_file_is_refused_whole_with_a_message(ctx, data, expected):
    import_file(CATALOGUE_2026, "before.csv")
    with pytest.raises(ImportFileError) as caught:
        import_file(data, "bad.csv")
    assert str(caught.value)
    if expected:
        assert expected in str(caught.value)
    assert Category.select().count() == 403 and audits("catalogue.import") == 1


def test_too_large_a_file_is_refused(ctx):
    with pytest.raises(ImportFileError):
        import_file(b"x" * (MAX_BYTES + 1), "big.csv")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_gbk_gb18030_and_utf8_with_bom_are_read(ctx, encoding):
    data = CATALOGUE_2026.read_text(encoding="utf-8").encode(encoding)
    result = import_file(data, f"{encoding}.csv")
    assert result.counts == {"component": nothing(created=153), "event": nothing(created=250)}
    assert Category.get(Category.code == "01001").name == "供水井盖"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_damaged_utf8_file_is_refused_not_read_as_gbk(ctx, bom):
    data = bytearray(YUNCHENG.read_bytes())
    at = data.index("监控电子眼".encode())  # first on line 99: cut a character in half
    data[at + 1] = ord("?")
    with pytest.raises(ImportFileError) as caught:
        import_file(bom + bytes(data), "damaged.csv")
    assert "99" in str(caught.value)
    assert Category.select().count() == 0


def test_the_yuncheng_file_saved_by_excel_in_gb18030_imports_the_same(ctx):
    # "²" (in "25c㎡"-style cells) is not in GBK, so Excel picks GB18030 for this file.
    import_file(YUNCHENG, YUNCHENG.name)
    data = YUNCHENG.read_text(encoding="utf-8").encode("gb18030")
    again = import_file(data, YUNCHENG.name)
    assert again.counts["standard"] == nothing(unchanged=423, retired=0)


# --- helpers for the work-order module ---------------------------------------------------------------


def test_search_by_code_prefix_or_name_in_use_only(ctx):
    import_file(CATALOGUE_2026, "c.csv")
    import_file(YUNCHENG, "y.csv")
    assert [(c.kind, c.code) for c in search("0100", edition="2026")][:2] == [
        ("component", "01001"),
        ("component", "01002"),
    ]
    assert all(c.code.startswith("0100") or "0100" in c.name for c in search("0100", edition="2026"))
    covers = search("井盖", edition="2013", limit=50)
    assert covers and all("井盖" in c.name and c.edition == "2013" for c in covers)
    hidden = Category.get((Category.edition == "2013") & (Category.code == "0101") & (Category.kind == "component"))
    hidden.active = False
    hidden.save()
    assert hidden.id not in [c.id for c in search("0101", edition="2013")]
    assert len(search("", limit=5)) == 5
    assert search("%", edition="2026") == []  # no wildcard leaks into LIKE
    assert {c.kind for c in search("01", edition="2026", limit=500, kind="event")} == {"event"}


# --- the command line --------------------------------------------------------------------------------


def test_cli_imports_and_prints_the_counts(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["catalogue", "import", str(YUNCHENG)])
    assert result.exit_code == 0, result.output
    assert "filing standards: 423 created, 0 updated, 0 unchanged, 0 retired" in result.output
    result = runner.invoke(args=["catalogue", "import", str(YUNCHENG)])
    assert result.exit_code == 0
    assert "filing standards: 0 created, 0 updated, 423 unchanged, 0 retired" in result.output
    listed = runner.invoke(args=["catalogue", "list", "--edition", "2013", "--kind", "component"])
    assert "0101  上水井盖" in listed.output and "事件" not in listed.output


def test_cli_exits_non_zero_on_rejected_rows_and_lists_them(app, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(yuncheng_with(17, 6, "两天"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["catalogue", "import", str(bad)])
    assert result.exit_code == 1
    assert re.search(r"^line 17: Cannot read the time limit 两天", result.output, re.M), result.output
    assert "nothing was written" in result.output
    with db.connection_context():
        assert FilingStandard.select().count() == 0

    dry = runner.invoke(args=["catalogue", "import", str(bad), "--skip-rejected", "--dry-run"])
    assert dry.exit_code == 0 and "dry run" in dry.output
    with db.connection_context():
        assert FilingStandard.select().count() == 0

    skipped = runner.invoke(args=["catalogue", "import", str(bad), "--skip-rejected"])
    assert skipped.exit_code == 0
    assert "line 17:" in skipped.output and "422 created" in skipped.output


def test_cli_refuses_a_malformed_file(app, tmp_path):
    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = app.test_cli_runner().invoke(args=["catalogue", "import", str(bad)])
    assert result.exit_code == 1
    assert "photo.csv: This is not a text file" in result.output


# --- the admin pages ---------------------------------------------------------------------------------


def finish_import(client, location: str, bound=3000) -> str:
    """Poll the progress fragment as the page does, until it stops asking to be polled."""
    for _ in range(bound):
        response = client.get(location, headers=HTMX_POLL)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "<html" not in body  # the fragment, not the page
        if "every 1s" not in body:
            for thread in threading.enumerate():
                if thread.name.startswith("catalogue-import-"):
                    thread.join(10)
            return body
    pytest.fail("the import did not finish")


def upload(client, data: bytes, filename="standards.csv", **options):
    form = {"file": (io.BytesIO(data), filename), **{k: "y" for k, v in options.items() if v}}
    return client.post("/catalogue/import", data=form, content_type="multipart/form-data")


def test_admin_imports_a_file_and_watches_its_progress(as_role):
    admin = as_role("admin")
    page = admin.get("/catalogue/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    response = upload(admin, YUNCHENG.read_bytes(), "运城立结案标准.csv")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.fullmatch(r"/catalogue/import/\d+", location)
    full = admin.get(location).get_data(as_text=True)
    assert "运城立结案标准.csv" in full and 'id="import-progress"' in full

    body = finish_import(admin, location)
    assert "<td>423</td>" in body
    with db.connection_context():
        job = CatalogueImport.get()
        assert (job.status, job.total, job.done, job.rejected) == ("done", 423, 423, [])
        assert job.counts["standard"]["created"] == 423
        assert FilingStandard.select().count() == 423
        entry = AuditEntry.get(AuditEntry.action == "catalogue.import")
        assert entry.actor_name == "admin"
    listing = admin.get("/catalogue/import").get_data(as_text=True)
    assert "运城立结案标准.csv" in listing

    again = finish_import(admin, upload(admin, YUNCHENG.read_bytes(), "renamed.csv").headers["Location"])
    assert "<td>0</td><td>0</td><td>423</td>" in again  # the same rows under another file name: unchanged


def test_admin_sees_the_rejected_lines_and_nothing_is_written(as_role):
    admin = as_role("admin")
    response = upload(admin, yuncheng_with(17, 6, "两天"))
    body = finish_import(admin, response.headers["Location"])
    assert re.search(r'<td class="nowrap">17</td><td>[^<]*两天', body)
    with db.connection_context():
        assert CatalogueImport.get().status == "rejected"
        assert FilingStandard.select().count() == 0

    body = finish_import(admin, upload(admin, yuncheng_with(17, 6, "两天"), skip_rejected=True).headers["Location"])
    assert '<td class="nowrap">17</td>' in body
    with db.connection_context():
        assert FilingStandard.select().count() == 422


def test_admin_dry_run_writes_nothing(as_role):
    admin = as_role("admin")
    finish_import(admin, upload(admin, CATALOGUE_2026.read_bytes(), dry_run=True).headers["Location"])
    with db.connection_context():
        assert CatalogueImport.get().status == "checked"
        assert CatalogueImport.get().counts["event"]["created"] == 250
        assert Category.select().count() == 0


@pytest.mark.parametrize(
    "data",
    [b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"hello,world\r\n1,2\r\n", HEADER_2026.encode(), b"x" * (MAX_BYTES + 1)],
)
def test_a_bad_upload_is_refused_on_the_form_and_nothing_starts(as_role, data):
    response = upload(as_role("admin"), data)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    with db.connection_context():
        assert CatalogueImport.select().count() == 0


def test_the_import_form_needs_its_csrf_token(csrf_app, users):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    token = csrf_token(client.get("/catalogue/import").get_data(as_text=True))
    form = {"file": (io.BytesIO(CATALOGUE_2026.read_bytes()), "c.csv"), "dry_run": "y"}
    assert client.post("/catalogue/import", data=form, content_type="multipart/form-data").status_code == 400
    with db.connection_context():
        assert CatalogueImport.select().count() == 0
    form = {"file": (io.BytesIO(CATALOGUE_2026.read_bytes()), "c.csv"), "dry_run": "y", "csrf_token": token}
    accepted = client.post("/catalogue/import", data=form, content_type="multipart/form-data")
    assert accepted.status_code == 303
    finish_import(client, accepted.headers["Location"])


def test_an_upload_without_a_file_is_refused(as_role):
    response = as_role("admin").post("/catalogue/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_a_second_import_waits_for_the_first(as_role, users):
    with db.connection_context():
        CatalogueImport.create(filename="other.csv", status="running", user=users["admin"])
    response = upload(as_role("admin"), CATALOGUE_2026.read_bytes())
    assert response.status_code == 409
    with db.connection_context():
        assert CatalogueImport.select().count() == 1


@pytest.fixture
def imported(app, users):
    with app.app_context(), db.connection_context():
        import_file(YUNCHENG, YUNCHENG.name)
        cover = Category.get((Category.edition == "2013") & (Category.kind == "component") & (Category.code == "0101"))
        return cover, standards_for(cover)[0]


def test_categories_list_searches_filters_and_pages(as_role, imported):
    intake = as_role("intake")
    full = intake.get("/catalogue/").get_data(as_text=True)
    assert "<html" in full and "164" in full and 'id="category-rows"' in full
    assert re.search(r"Page 1 of 4|第 1 页，共 4 页", full)  # 164 types, 50 a page
    fragment = intake.get("/catalogue/?q=井盖", headers={"HX-Request": "true", "HX-Target": "category-rows"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "上水井盖" in body and "化粪池井盖" in body and "临街屠宰" not in body
    by_code = intake.get("/catalogue/?q=0101&kind=component&edition=2013").get_data(as_text=True)
    assert "上水井盖" in by_code
    events = intake.get("/catalogue/?kind=event&edition=2013").get_data(as_text=True)
    assert "上水井盖" not in events
    second = intake.get("/catalogue/?page=2").get_data(as_text=True)
    assert second.count('href="/catalogue/') > 10
    for odd in ("/catalogue/?page=99999999999999999999", "/catalogue/?page=-3&edition=1999&kind=x&active=maybe"):
        assert intake.get(odd).status_code == 200


def test_the_category_page_shows_its_standards_and_a_form_only_to_managers(as_role, imported):
    cover, standard = imported
    intake_page = as_role("intake").get(f"/catalogue/{cover.id}").get_data(as_text=True)
    assert standard.filing_condition in intake_page and "2紧急工作时" in intake_page
    assert "csrf_token" not in intake_page.split("<main>")[1]
    admin_page = as_role("admin").get(f"/catalogue/{cover.id}").get_data(as_text=True)
    assert f'action="/catalogue/{cover.id}/edit"' in admin_page
    assert as_role("admin").get("/catalogue/999999").status_code == 404


def test_setting_the_default_department_is_audited(as_role, users, imported):
    cover, _ = imported
    admin = as_role("admin")
    url = f"/catalogue/{cover.id}"
    with db.connection_context():
        works = Department.create(name="市政处", code="works", type="professional")
    form = {"default_department": str(works.id), "active": "y", "version": form_version(admin, url)}
    response = admin.post(f"{url}/edit", data=form)
    assert response.status_code == 302
    with db.connection_context():
        assert Category.get_by_id(cover.id).default_department_id == works.id
        entry = AuditEntry.get(AuditEntry.action == "catalogue.category.update")
        assert entry.actor_name == "admin" and entry.object_id == str(cover.id)
        assert entry.before == {"default_department": None}
        assert entry.after == {"default_department": "市政处 (works)"}
    assert "市政处" in admin.get(url).get_data(as_text=True)


def test_a_concurrent_edit_of_a_category_is_refused(app, as_role, users, imported):
    cover, _ = imported
    url = f"/catalogue/{cover.id}"
    first, second = as_role("admin"), as_role("admin")
    first_seen, second_seen = form_version(first, url), form_version(second, url)
    centre = users["admin"].department_id
    assert first.post(f"{url}/edit", data={"default_department": str(centre), "version": first_seen}).status_code == 302
    response = second.post(f"{url}/edit", data={"default_department": "0", "active": "y", "version": second_seen})
    assert response.status_code == 409
    assert "flash-error" in response.get_data(as_text=True)
    with db.connection_context():
        kept = Category.get_by_id(cover.id)
        assert (kept.default_department_id, kept.active) == (centre, False)
        assert audits("catalogue.category.update") == 1


def test_an_unknown_department_is_refused_on_the_form(as_role, imported):
    cover, _ = imported
    admin = as_role("admin")
    url = f"/catalogue/{cover.id}"
    response = admin.post(
        f"{url}/edit", data={"default_department": "424242", "active": "y", "version": form_version(admin, url)}
    )
    assert response.status_code == 422
    with db.connection_context():
        assert Category.get_by_id(cover.id).default_department_id is None


def standard_form(standard, **changes):
    data = {
        "seq": str(standard.seq),
        "filing_condition": standard.filing_condition,
        "limit_text": standard.limit_text,
        "closing_condition": standard.closing_condition,
        "handling_unit": standard.handling_unit,
        "supervising_unit": standard.supervising_unit,
        "active": "y",
    }
    data.update(changes)
    return data


def test_editing_a_filing_standard_reparses_its_limit(as_role, imported):
    _, standard = imported
    admin = as_role("admin")
    url = f"/catalogue/standards/{standard.id}"
    bad = admin.post(url, data={**standard_form(standard, limit_text="尽快"), "version": form_version(admin, url)})
    assert bad.status_code == 422
    assert re.search(r'<p class="error">[^<]*尽快', bad.get_data(as_text=True))
    with db.connection_context():
        assert FilingStandard.get_by_id(standard.id).limit_text == "2紧急工作时"

    good = admin.post(
        url, data={**standard_form(standard, limit_text="１.5 工作日"), "version": form_version(admin, url)}
    )
    assert good.status_code == 302
    with db.connection_context():
        saved = FilingStandard.get_by_id(standard.id)
        assert (saved.limit_text, saved.limit_value, saved.limit_unit) == ("１.5 工作日", Decimal("1.5"), "work_day")
        entry = AuditEntry.get(AuditEntry.action == "catalogue.standard.update")
        assert entry.before["limit_text"] == "2紧急工作时" and entry.after["limit"] == "1.5 work_day"


def test_a_filing_standard_cannot_take_another_rows_condition(as_role, imported):
    cover, standard = imported
    with db.connection_context():
        other = standards_for(cover)[1]
    admin = as_role("admin")
    url = f"/catalogue/standards/{other.id}"
    response = admin.post(
        url,
        data={**standard_form(other, filing_condition=standard.filing_condition), "version": form_version(admin, url)},
    )
    assert response.status_code == 422


MANAGE = ["/catalogue/import", "/catalogue/import/1", "/catalogue/standards/1"]


@pytest.mark.parametrize(
    "role", ["intake", "shift_leader", "dispatcher", "collector", "handler", "evaluator", "leader"]
)
def test_non_admins_are_refused_the_manage_pages(as_role, imported, role):
    client = as_role(role)
    for url in MANAGE:
        assert client.get(url).status_code == 403, url
    cover, _ = imported
    assert client.post(f"/catalogue/{cover.id}/edit", data={"default_department": "0"}).status_code == 403
    assert client.post("/catalogue/import", data={}).status_code == 403
    with db.connection_context():
        assert audits("catalogue.category.update") == 0


@pytest.mark.parametrize("role, status", [("intake", 200), ("leader", 200), ("collector", 403), ("handler", 403)])
def test_who_may_see_the_catalogue(as_role, imported, role, status):
    cover, _ = imported
    client = as_role(role)
    assert client.get("/catalogue/").status_code == status
    assert client.get(f"/catalogue/{cover.id}").status_code == status
    menu = client.get("/").get_data(as_text=True)
    assert ('href="/catalogue/"' in menu) == (status == 200)


def test_the_2026_catalogue_saved_as_an_excel_workbook_imports_the_same(ctx):
    import openpyxl

    book = openpyxl.Workbook()
    for cells in rows_of(CATALOGUE_2026):
        book.active.append(cells)
    data = io.BytesIO()
    book.save(data)
    first = import_file(data.getvalue(), "catalogue.xlsx")
    assert (first.format, first.edition, first.total, first.rejected) == ("catalogue", "2026", 403, [])
    assert first.counts == {"component": nothing(created=153), "event": nothing(created=250)}
    again = import_file(CATALOGUE_2026, CATALOGUE_2026.name)
    assert again.counts == {"component": nothing(unchanged=153), "event": nothing(unchanged=250)}

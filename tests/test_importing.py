"""The one decoder of every import (core/importing/decoding.py): what it reads, what it refuses and why, and
that the catalogue, census, grid and calendar imports refuse the same bad file with the same message."""

import codecs
import datetime
import io
import zipfile

import pytest

from core.api import ImportRefused, decode_text
from core.catalogue import reading
from core.components import census
from core.grids import importer_read
from core.importing import tables
from core.importing.decoding import read_csv
from core.importing.tables import read_rows
from core.worktime import edits
from core.worktime.calendar import CalendarError

TEXT = "kind,code,name\r\n部件,0101,上水井盖\r\n"


@pytest.fixture
def ctx(english_app):
    with english_app.test_request_context():
        yield


def refusal(data, **options) -> str:
    with pytest.raises(ImportRefused) as caught:
        decode_text(data, **options)
    return str(caught.value)


def test_utf8_with_a_bom_is_read_without_it(ctx):
    assert decode_text(codecs.BOM_UTF8 + TEXT.encode("utf-8")) == TEXT


def test_utf16_with_a_bom_is_read_both_ways(ctx):
    assert decode_text(TEXT.encode("utf-16")) == TEXT
    assert decode_text(codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be")) == TEXT


def test_gb18030_and_gbk_are_read(ctx):
    assert decode_text(TEXT.encode("gb18030")) == TEXT
    assert decode_text(TEXT.encode("gbk")) == TEXT


def test_broken_utf8_after_a_bom_is_refused_naming_the_line(ctx):
    data = codecs.BOM_UTF8 + "a\r\n上水\r\n".encode() + b"\xe4\xb8"
    assert refusal(data) == "Line 3 is not valid UTF-8: the file may be damaged or cut off."


def test_broken_utf16_is_refused(ctx):
    assert refusal(codecs.BOM_UTF16_LE + b"a\x00\x00\xd8") == "The file is not valid UTF-16 text."


@pytest.mark.parametrize("magic", [b"PK\x03\x04\x14\x00\x06\x00", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])
def test_an_excel_workbook_is_refused_with_how_to_save_it_as_csv(ctx, magic):
    assert refusal(magic + b"\x00" * 20) == (
        "This is an Excel workbook, not a text file. In Excel, save it as CSV first."
    )


def test_a_binary_file_is_refused_as_not_text(ctx):
    assert refusal(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == "This is not a text file."


def test_a_control_character_is_refused_naming_its_line(ctx):
    assert refusal(b"a,b\r\nc,d\r\ne\x07,f\r\n") == ("Line 3 holds a control character: this is not a plain text file.")


def test_a_file_over_the_limit_is_refused_naming_the_limit(ctx):
    assert refusal(b"x" * (2 * 2**20 + 1), limit=2 * 2**20) == "The file is larger than 2 MB."
    assert decode_text(b"x" * 2**20, limit=2**20) == "x" * 2**20


def test_an_empty_file_is_refused(ctx):
    assert refusal(codecs.BOM_UTF8 + b"\r\n  \r\n") == "The file is empty."


def test_read_csv_gives_each_records_first_line_and_refuses_broken_csv(ctx):
    data = 'a,b\r\n\r\n"x\r\ny",z\r\nc,d\r\n'.encode("gb18030")
    assert list(read_csv(data)) == [(1, ["a", "b"]), (3, ["x\r\ny", "z"]), (5, ["c", "d"])]
    with pytest.raises(ImportRefused, match="Line 2 is not valid CSV"):
        list(read_csv('a,b\r\n"c"d,e\r\n'))


# --- the four imports refuse a bad file in the same words ----------------------------------------------------------


def _catalogue(data):
    reading.read_table(reading.read_bytes(data))


def _census(data):
    census.read_table(census.read_bytes(data))


def _grids(data):
    importer_read.read_features(importer_read.read_bytes(data))


def _calendar(data):
    edits.read_csv(edits.decode(data))


IMPORTS = {"catalogue": _catalogue, "census": _census, "grids": _grids, "calendar": _calendar}
BAD_FILES = {
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "control": b"a,b\r\nc\x1b,d\r\n",
    "broken utf-8": codecs.BOM_UTF8 + b"a,b\r\n\xe4\xb8",
    "broken utf-16": codecs.BOM_UTF16_LE + b"a\x00\x00\xd8",
    "empty": b"",
}


@pytest.mark.parametrize("bad", BAD_FILES, ids=str)
def test_every_import_refuses_the_same_bad_file_with_the_same_message(ctx, bad):
    messages = {}
    for name, run in IMPORTS.items():
        with pytest.raises((ImportRefused, CalendarError)) as caught:
            run(BAD_FILES[bad])
        messages[name] = str(caught.value)
    expected = refusal(BAD_FILES[bad])
    assert messages == dict.fromkeys(IMPORTS, expected)


def test_tables_read_xlsx_and_refuse_xls_while_text_imports_refuse_both_with_how_to_save_as_csv(ctx):
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    xlsx = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 20
    messages = {}
    for name, run in IMPORTS.items():
        for label, data in (("xls", xls), ("xlsx", xlsx)):
            with pytest.raises((ImportRefused, CalendarError)) as caught:
                run(data)
            messages[name, label] = str(caught.value)
    save_as_csv = "This is an Excel workbook, not a text file. In Excel, save it as CSV first."
    old_excel = "This is an old Excel 97-2003 workbook (.xls). In Excel, save it as .xlsx or CSV."
    damaged = "The Excel workbook is damaged and cannot be read."
    assert messages == {
        ("catalogue", "xls"): old_excel,
        ("catalogue", "xlsx"): damaged,
        ("census", "xls"): old_excel,
        ("census", "xlsx"): damaged,
        ("grids", "xls"): save_as_csv,
        ("grids", "xlsx"): save_as_csv,
        ("calendar", "xls"): save_as_csv,
        ("calendar", "xlsx"): save_as_csv,
    }


def test_the_refusals_are_in_chinese_by_default(app):
    with app.test_request_context():
        assert refusal(b"PK\x03\x04" + b"\x00" * 8).startswith("这是 Excel 工作簿")
        assert refusal(b"a\r\n\x01\r\n") == "第 2 行含有控制字符，这不是纯文本文件。"


# --- Excel workbooks (core/importing/tables.py) ---------------------------------------------------------


def workbook(*rows, sheet_title="Sheet") -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_title
    for values in rows:
        sheet.append(list(values))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_refusal(data) -> str:
    with pytest.raises(ImportRefused) as caught:
        list(read_rows(data))
    return str(caught.value)


def test_a_workbooks_first_sheet_reads_as_text_cells_with_excel_row_numbers(ctx):
    data = workbook(
        ["code", "count", "lon", "date", "note", None],
        ["0101", 3, 113.105, datetime.datetime(2025, 5, 1), None, None],
        [None, None, None, None, None],
        ["0102", 4.0, 113.0, datetime.date(2025, 6, 2)],
    )
    assert list(read_rows(data)) == [
        (1, ["code", "count", "lon", "date", "note"]),
        (2, ["0101", "3", "113.105", "2025-05-01", ""]),
        (4, ["0102", "4", "113", "2025-06-02", ""]),
    ]


def test_csv_still_reads_through_the_table_reader(ctx):
    assert list(read_rows(TEXT.encode("utf-8"))) == [(1, ["kind", "code", "name"]), (2, ["部件", "0101", "上水井盖"])]


def test_old_xls_damaged_and_foreign_zip_files_are_refused_with_what_to_do(ctx):
    assert ".xls" in table_refusal(codecs.BOM_UTF8[:0] + b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert "damaged" in table_refusal(workbook(["a"])[:300])
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not an Excel .xlsx workbook" in table_refusal(other.getvalue())


def test_a_workbook_too_large_once_unpacked_is_refused_before_it_is_parsed(ctx, monkeypatch):
    data = workbook(*[["x" * 100] for _ in range(200)])
    assert len(list(read_rows(data))) == 200
    monkeypatch.setattr(tables, "MAX_UNPACKED_BYTES", 10_000)
    assert "too large once unpacked" in table_refusal(data)


def with_sheet_xml(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML text passed through change()."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(out, "w") as archive:
        for member in original.infolist():
            body = original.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                body = change(body.decode("utf-8")).encode("utf-8")
            archive.writestr(member, body)
    return out.getvalue()


def test_entity_expansion_in_a_sheet_is_refused_not_expanded(ctx):
    laughs = '<!DOCTYPE x [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    bomb = with_sheet_xml(workbook(["a"]), lambda xml: laughs + xml.replace("<t>a</t>", "<t>&b;</t>"))
    assert "damaged" in table_refusal(bomb)

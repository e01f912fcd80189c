"""Uploaded spreadsheets are checked before anything parses them, then read as plain rows."""

from __future__ import annotations

import codecs
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from openpyxl import Workbook

from lianfang.core.uploads import UnreadableFile, check_spreadsheet, decode_text, open_rows


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def workbook_bytes(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


WORKBOOK_PARTS = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}


def rejection(data: bytes, name: str = "roster.xlsx") -> str:
    with pytest.raises(ValidationError) as exc:
        check_spreadsheet(file_name=name, data=data)
    return exc.value.code


def test_a_workbook_and_a_csv_file_are_recognised_by_their_content():
    assert check_spreadsheet(file_name="roster.xlsx", data=workbook_bytes([["a"]])) == "xlsx"
    assert check_spreadsheet(file_name="renamed.csv", data=workbook_bytes([["a"]])) == "xlsx"
    assert check_spreadsheet(file_name="roster.csv", data="姓名,工号\n".encode()) == "csv"


def test_an_empty_file_is_refused():
    assert rejection(b"") == "empty"


def test_a_file_over_the_upload_limit_is_refused_with_both_sizes(settings):
    settings.LIANFANG_MAX_UPLOAD_BYTES = 2048
    with pytest.raises(ValidationError) as exc:
        check_spreadsheet(file_name="roster.csv", data=b"a," * 2000)
    assert exc.value.code == "too_large"
    assert "3.9\xa0KB" in exc.value.messages[0] and "2.0\xa0KB" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"%PDF-1.7 ...", "roster.xlsx", "not_spreadsheet"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "roster.csv", "not_spreadsheet"),
        (b"MZ\x90\x00\x03\x00", "roster.csv", "not_spreadsheet"),
        (bytes(range(1, 32)) * 50, "roster.csv", "not_spreadsheet"),
        (b"just text", "roster.docx", "file_type"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "roster.xls", "old_excel"),
        (b"PK\x03\x04 broken zip", "roster.xlsx", "not_spreadsheet"),
    ],
)
def test_anything_but_a_spreadsheet_is_refused(data, name, code):
    assert rejection(data, name) == code


def test_a_zip_that_is_not_a_workbook_is_refused():
    assert rejection(zip_bytes({"word/document.xml": b"<document/>"})) == "not_spreadsheet"


def test_a_zip_bomb_is_refused_by_its_compression_ratio():
    bomb = zip_bytes({**WORKBOOK_PARTS, "xl/worksheets/sheet1.xml": b"<" + b"0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    assert rejection(bomb) == "zip_bomb"


def test_a_workbook_expanding_beyond_the_limit_is_refused_even_at_a_plausible_ratio(settings):
    settings.LIANFANG_MAX_XLSX_EXPANDED_BYTES = 1024 * 1024
    stored = zip_bytes(
        {**WORKBOOK_PARTS, "xl/worksheets/sheet1.xml": b"<" + b"x" * (2 * 1024 * 1024)}, zipfile.ZIP_STORED
    )
    assert rejection(stored) == "zip_bomb"


def test_a_workbook_with_thousands_of_members_is_refused():
    members = {**WORKBOOK_PARTS, **{f"xl/media/{n}.bin": b"" for n in range(1001)}}
    assert rejection(zip_bytes(members)) == "zip_bomb"


def test_a_member_that_lies_about_its_size_cannot_expand_beyond_what_was_checked():
    data = bytearray(zip_bytes({**WORKBOOK_PARTS, "xl/worksheets/sheet1.xml": b"<a>" + b"x" * 100_000 + b"</a>"}))
    # Shrink the declared size in the central directory: zipfile stops reading there and fails.
    entry = data.rfind(b"PK\x01\x02")
    while data[entry + 46 : entry + 46 + 24] != b"xl/worksheets/sheet1.xml":
        entry = data.rfind(b"PK\x01\x02", 0, entry)
    data[entry + 24 : entry + 28] = (10).to_bytes(4, "little")
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    with pytest.raises(zipfile.BadZipFile), archive.open("xl/worksheets/sheet1.xml") as member:
        assert len(member.read()) <= 10


def test_xml_with_a_document_type_declaration_is_refused():
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><workbook>&lol;</workbook>'
    assert rejection(zip_bytes({**WORKBOOK_PARTS, "xl/workbook.xml": laughs})) == "xml_dtd"


def test_an_encrypted_member_is_refused():
    data = bytearray(zip_bytes(WORKBOOK_PARTS, zipfile.ZIP_STORED))
    # Set the "encrypted" flag bit of every entry, in the local and central headers alike.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + offset] |= 0x1
            start = data.find(signature, start + 4)
    assert rejection(bytes(data)) == "encrypted"


@pytest.mark.parametrize(
    "encoded",
    [
        "姓名,工号\n王芳,E1\n".encode("utf-8-sig"),
        "姓名,工号\n王芳,E1\n".encode(),
        "姓名,工号\n王芳,E1\n".encode("gbk"),
        codecs.BOM_UTF16_LE + "姓名\t工号\n王芳\tE1\n".encode("utf-16-le"),
    ],
    ids=["utf-8 with BOM", "utf-8", "gbk", "utf-16 (Excel unicode text)"],
)
def test_csv_text_is_read_in_the_encodings_excel_saves(encoded):
    assert decode_text(encoded).replace("\t", ",").splitlines() == ["姓名,工号", "王芳,E1"]
    with open_rows(kind="csv", data=encoded) as sheet:
        assert list(sheet.rows) == [("姓名", "工号"), ("王芳", "E1")]


def test_csv_rows_keep_quoted_commas_and_line_breaks():
    data = '姓名,返回地\n王芳,"北京,朝阳"\n李强,"第一行\n第二行"\n'.encode()
    with open_rows(kind="csv", data=data) as sheet:
        assert list(sheet.rows)[1:] == [("王芳", "北京,朝阳"), ("李强", "第一行\n第二行")]


def test_every_row_of_a_workbook_is_read_even_when_it_declares_a_wrong_dimension():
    data = workbook_bytes([["姓名"], ["王芳"], ["李强"], ["赵敏"]])
    members = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            members[info.filename] = archive.read(info)
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(
        b'<dimension ref="A1:A4"', b'<dimension ref="A1:A1"'
    )
    with open_rows(kind="xlsx", data=zip_bytes(members)) as sheet:
        assert [row[0] for row in sheet.rows] == ["姓名", "王芳", "李强", "赵敏"]


def test_a_workbook_that_breaks_halfway_through_is_reported_as_unreadable():
    data = workbook_bytes([["姓名"], ["王芳"]])
    members = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            members[info.filename] = archive.read(info)
    sheet_xml = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet_xml[: sheet_xml.index(b"</sheetData>")] + b"<row><c"
    with pytest.raises(UnreadableFile), open_rows(kind="xlsx", data=zip_bytes(members)) as sheet:
        list(sheet.rows)

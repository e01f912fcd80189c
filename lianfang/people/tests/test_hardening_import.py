"""The roster import as people really fill it in (issue 11): a hidden or empty first sheet, a mobile
typed in groups, a name typed with a full-width space."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from lianfang.core.models import JobStatus
from lianfang.org.choices import Role
from lianfang.people.importer import HEADERS
from lianfang.people.models import Person
from lianfang.people.services import person_create
from lianfang.people.tests.test_import import row, run_import
from lianfang.people.validators import normalize_person_name, normalize_phone
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def liaison(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")


@pytest.fixture
def importer(liaison, django_capture_on_commit_callbacks):
    def _run(data, file_name="roster.xlsx"):
        return run_import(liaison, data, file_name, capture=django_capture_on_commit_callbacks)

    return _run


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def workbook(*sheets: tuple[str, str, list[dict] | None]) -> bytes:
    """Sheets as (title, state, rows); rows None for an empty sheet."""
    book = Workbook()
    book.remove(book.active)
    for title, state, rows in sheets:
        ws = book.create_sheet(title)
        ws.sheet_state = state
        if rows is not None:
            ws.append(list(HEADERS))
            for values in rows:
                ws.append([values.get(h) for h in HEADERS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_hidden_first_sheet_is_passed_over_and_the_result_names_the_sheet_read(tree, importer):
    hidden_junk = [{"姓名": "旧名单"}]  # an old list someone hid: not the roster's columns
    data = workbook(("old", "hidden", hidden_junk), ("花名册", "visible", [row("E1"), row("E2", name="李四")]))
    job = importer(data)
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.result["created"] == 2 and job.result["sheet"] == "花名册"


def test_an_empty_visible_first_sheet_before_the_data_is_passed_over(tree, importer):
    job = importer(workbook(("说明", "visible", None), ("Sheet2", "visible", [row("E1")])))
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.result["sheet"] == "Sheet2"
    assert Person.objects.filter(employee_no="E1").exists()


def test_a_file_whose_visible_sheets_are_all_empty_is_still_the_file_is_empty(tree, importer):
    job = importer(workbook(("a", "visible", None), ("b", "hidden", [row("E1")])))
    assert job.status == JobStatus.FAILED
    assert "empty" in job.errors[0]["message"]


@pytest.mark.parametrize("typed", ["157-6679-0446", "157 6679 0446", "+86 157 6679 0446", "+86-157-6679-0446"])
def test_a_mobile_typed_in_groups_is_accepted_as_its_eleven_digits(tree, importer, typed):
    job = importer(workbook(("roster", "visible", [row("E1", 手机号=typed)])))
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert Person.objects.get(employee_no="E1").phone == "15766790446"


def test_a_landline_keeps_its_area_code_dash():
    assert normalize_phone("0913-1234567") == "0913-1234567"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("张\u3000三", "张三"), ("张 三", "张三"), (" 欧阳\u00a0娜娜 ", "欧阳娜娜"), ("John  Smith", "John Smith")],
)
def test_spaces_inside_a_chinese_name_are_removed_and_a_latin_name_keeps_one(typed, stored):
    assert normalize_person_name(typed) == stored


def test_the_import_and_the_form_store_a_chinese_name_without_its_full_width_space(tree, importer, liaison):
    job = importer(workbook(("roster", "visible", [row("E1", name="张\u3000三")])))
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert Person.objects.get(employee_no="E1").name == "张三"
    person = person_create(actor=liaison, unit=tree.a1, name="李　四", employee_no="E9")
    assert person.name == "李四"

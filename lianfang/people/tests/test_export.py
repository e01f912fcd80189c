"""Roster export: exactly the people the user may export, masked unless they may unmask, safe to open."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from lianfang.core.models import AuditEvent, AuditKind, JobStatus
from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.people.choices import Category
from lianfang.people.exports import EXPORT_HEADERS, roster_export, roster_template
from lianfang.people.importer import HEADERS, roster_import_submit
from lianfang.people.models import Person, Tag
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client):
    """Messages are asserted in English, the source language, whatever translations exist."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def read(data: bytes) -> list[dict]:
    """The exported rows as dicts keyed by header."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(EXPORT_HEADERS)
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture
def people(tree):
    """Two people in A's subtree, one in its sibling department, one in subsidiary B."""
    return {
        "a1": PersonFactory(unit=tree.a1, employee_no="A1-1", name="王芳", phone="13800001111"),
        "a1s": PersonFactory(unit=tree.a1s, employee_no="A1S-1", name="李强", category=Category.TEMPORARY),
        "a2": PersonFactory(unit=tree.a2, employee_no="A2-1", name="赵敏"),
        "b1": PersonFactory(unit=tree.b1, employee_no="B1-1", name="孙丽"),
    }


def test_the_export_holds_exactly_the_people_the_user_may_export(tree, people):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    rows = read(roster_export(actor=liaison, params={}))
    assert {r["工号"] for r in rows} == {"A1-1", "A1S-1"}
    assert len(rows) == Person.objects.restrict(liaison, Action.EXPORT).count()


def test_a_leader_gets_id_numbers_and_phones_masked(tree, people):
    leader = user_with_role(Role.LEADER, tree.a)
    rows = {r["工号"]: r for r in read(roster_export(actor=leader, params={}))}
    wang = people["a1"]
    assert rows["A1-1"]["身份证号"] == wang.id_number_masked and "*" in rows["A1-1"]["身份证号"]
    assert rows["A1-1"]["手机号"] == "138****1111"
    assert not AuditEvent.objects.filter(kind=AuditKind.UNMASK).exists()
    assert AuditEvent.objects.get(kind=AuditKind.EXPORT).detail["unmasked"] == 0


def test_a_liaison_who_may_unmask_gets_full_values_and_the_unmask_is_audited(tree, people):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    rows = {r["工号"]: r for r in read(roster_export(actor=liaison, params={}))}
    assert rows["A1-1"]["身份证号"] == people["a1"].id_number
    assert rows["A1-1"]["手机号"] == "13800001111"
    event = AuditEvent.objects.get(kind=AuditKind.UNMASK)
    assert event.user == liaison and event.detail["people"] == 3 and event.detail["source"] == "export"


def test_values_are_unmasked_only_in_the_units_where_the_user_may_unmask(tree, people):
    user = user_with_role(Role.UNIT_ADMIN, tree.a1)  # unmask on A1 and below
    from lianfang.org.models import RoleAssignment

    RoleAssignment.objects.create(user=user, unit=tree.group, role=Role.LEADER)  # export everywhere
    rows = {r["工号"]: r for r in read(roster_export(actor=user, params={}))}
    assert set(rows) == {"A1-1", "A1S-1", "A2-1", "B1-1"}
    assert "*" not in rows["A1-1"]["身份证号"] and "*" not in rows["A1S-1"]["身份证号"]
    assert "*" in rows["A2-1"]["身份证号"] and "*" in rows["B1-1"]["手机号"]
    assert AuditEvent.objects.get(kind=AuditKind.UNMASK).detail["people"] == 2


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_escaped(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    PersonFactory(unit=tree.a1, employee_no="E1", name='=HYPERLINK("http://evil.example","点我")', returned_from="+1")
    PersonFactory(unit=tree.a1, employee_no="E2", name="@SUM(A1)", returned_from="-2")
    PersonFactory(unit=tree.a1, employee_no="E3", name="\tTab", returned_from="\rCR")
    sheet = load_workbook(io.BytesIO(roster_export(actor=liaison, params={}))).worksheets[0]
    names = [sheet.cell(row=r, column=1) for r in range(2, 5)]
    places = [sheet.cell(row=r, column=12) for r in range(2, 5)]
    assert [c.value for c in names] == ['\'=HYPERLINK("http://evil.example","点我")', "'@SUM(A1)", "'\tTab"]
    # (XML turns a stored carriage return into a line feed when the file is read back.)
    assert [c.value for c in places] == ["'+1", "'-2", "'\nCR"]
    assert all(c.data_type == "s" for c in names + places)  # text, never a formula


def test_the_export_follows_the_lists_filters(tree, people):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    temporary = read(roster_export(actor=liaison, params={"category": ["temporary"]}))
    assert [r["工号"] for r in temporary] == ["A1S-1"]
    searched = read(roster_export(actor=liaison, params={"q": "赵"}))
    assert [r["工号"] for r in searched] == ["A2-1"]
    in_unit = read(roster_export(actor=liaison, params={"unit": str(tree.a1.pk)}))
    assert {r["工号"] for r in in_unit} == {"A1-1", "A1S-1"}


def test_a_filter_on_a_unit_outside_the_scope_exports_nobody(tree, people):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    assert read(roster_export(actor=liaison, params={"unit": str(tree.b.pk)})) == []


def test_the_export_is_audited_with_its_filters_and_row_count(tree, people):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    roster_export(actor=liaison, params={"category": ["temporary", "employee"], "q": people["a1"].id_number})
    event = AuditEvent.objects.get(kind=AuditKind.EXPORT)
    assert event.user == liaison and event.detail["rows"] == 1
    assert sorted(event.detail["filters"]["category"]) == ["employee", "temporary"]
    assert event.detail["filters"]["q"] == people["a1"].id_number_masked  # a searched ID number stays masked


def test_choices_and_tags_are_exported_as_the_chinese_labels_the_import_reads(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    person = PersonFactory(unit=tree.a1, employee_no="E1", gender="M", category=Category.DISPATCHED)
    person.tags.set(Tag.objects.filter(code__in=["party-member", "volunteer"]))
    (row,) = read(roster_export(actor=liaison, params={}))
    assert (row["性别"], row["人员类别"], row["在职状态"], row["去向类别"]) == ("男", "劳务派遣", "在职", "留守本地")
    assert row["标签"] == "党员、志愿者"
    assert (row["单位编码"], row["单位名称"]) == ("A1", tree.a1.name)


def test_an_exported_file_imports_back_without_changing_anyone(tree, people, django_capture_on_commit_callbacks):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    people["a1"].tags.set(Tag.objects.filter(code="front-line"))
    data = roster_export(actor=liaison, params={})
    with django_capture_on_commit_callbacks(execute=True):
        job = roster_import_submit(actor=liaison, file_name="export.xlsx", data=data)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert (job.result["unchanged"], job.result["updated"], job.result["created"]) == (3, 0, 0)


def test_a_masked_export_imports_back_keeping_the_full_numbers(tree, people, django_capture_on_commit_callbacks):
    leader = user_with_role(Role.LEADER, tree.a)
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    data = roster_export(actor=leader, params={})
    with django_capture_on_commit_callbacks(execute=True):
        job = roster_import_submit(actor=liaison, file_name="export.xlsx", data=data)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.result["unchanged"] == 3
    assert Person.objects.get(pk=people["a1"].pk).id_number == people["a1"].id_number


def test_the_template_explains_every_column_and_its_allowed_values(db):
    workbook = load_workbook(io.BytesIO(roster_template(example_unit_code="HT-03")))
    roster, explained = workbook.worksheets
    assert [c.value for c in roster[1]] == list(HEADERS)
    assert roster["F2"].value == "HT-03"
    rows = {r[0]: r for r in explained.iter_rows(min_row=2, values_only=True) if r and r[0] in HEADERS}
    assert set(rows) == set(HEADERS)
    assert rows["人员类别"][3] == "正式员工、临时工、劳务派遣、外包、家属"
    assert rows["去向类别"][3] == "留守本地、外地返回、尚未返回"
    assert "党员" in rows["标签"][3] and rows["工号"][1] == "Yes"
    assert roster["D2"].number_format == "@"  # ID numbers stay text, every digit kept


# --- the page ------------------------------------------------------------------------------------


def test_the_export_link_downloads_the_filtered_list(tree, people, client):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    client.force_login(liaison)
    response = client.get(reverse("people:export"), {"category": "temporary"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"] and response["Cache-Control"] == "no-store"
    rows = read(b"".join(response.streaming_content))
    assert [r["工号"] for r in rows] == ["A1S-1"]


@pytest.mark.parametrize("role", [None, Role.DUTY_OFFICER, Role.CHECKPOINT, Role.INSPECTOR, Role.EMPLOYEE])
def test_the_export_is_forbidden_without_the_export_right(tree, people, client, role):
    client.force_login(user_with_role(role, tree.a))
    assert client.get(reverse("people:export")).status_code == 403
    assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT).exists()


def test_the_export_needs_a_login(tree, client):
    response = client.get(reverse("people:export"))
    assert response.status_code == 302 and "login" in response["Location"]
